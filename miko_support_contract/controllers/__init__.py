# Portal and public web controllers (statements, UPDs, request form) arrive with their issues.
