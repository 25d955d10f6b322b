from . import support_request
