from . import prepayment_invoice_wizard
from . import activity_import_wizard
from . import statement_wizard
from . import upd_month_close
from . import upd_answer_wizard
from . import vendor_bug_wizard
from . import upd_delivery_wizard
