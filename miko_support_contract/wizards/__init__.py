from . import prepayment_invoice_wizard
from . import upd_month_close
from . import upd_answer_wizard
