from . import test_requisites
from . import test_wallet
from . import test_access
from . import test_prepayment_report
from . import test_upd
from . import test_upd_diadoc
