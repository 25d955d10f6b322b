from . import test_requisites
from . import test_wallet
from . import test_access
from . import test_prepayment_report
from . import test_activities
from . import test_statements
from . import test_requests
