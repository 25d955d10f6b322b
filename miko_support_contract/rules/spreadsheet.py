"""Spreadsheet cell formats of the documents a person reads."""

STRFTIME_TO_EXCEL = {
    "%d": "dd",
    "%m": "mm",
    "%Y": "yyyy",
    "%y": "yy",
    "%H": "hh",
    "%M": "mm",
    "%S": "ss",
    "%b": "mmm",
    "%B": "mmmm",
}


def excel_date_format(strftime_format: str) -> str:
    """The Excel number format of a ``strftime`` date or time format (a language's
    ``date_format``, ``time_format``): ``%d.%m.%Y`` -> ``dd.mm.yyyy``; unknown directives are
    dropped."""
    result = []
    index = 0
    while index < len(strftime_format):
        directive = strftime_format[index : index + 2]
        if directive[:1] == "%":
            result.append(STRFTIME_TO_EXCEL.get(directive, ""))
            index += 2
            continue
        result.append(strftime_format[index])
        index += 1
    return "".join(result).strip() or "yyyy-mm-dd"
