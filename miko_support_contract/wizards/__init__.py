from . import prepayment_invoice_wizard
