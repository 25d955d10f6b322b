"""Selections and labels shared by the models and the mixins of their concerns (a module
without models, so importing it never defines a model before the mixins it inherits)."""

ACTIVITY_KINDS = [
    ("call_in", "Incoming call"),
    ("call_out", "Outgoing call"),
    ("email_in", "Incoming e-mail"),
    ("email_out", "Outgoing e-mail"),
    ("remote", "Remote session"),
    ("analysis", "Analysis of specifications"),
    ("instructions", "Writing instructions"),
    ("db_analysis", "Analysis of the customer's database"),
    ("other", "Other justified work"),
]
ACTIVITY_KIND_CODES = frozenset(code for code, _label in ACTIVITY_KINDS)

NOTICE_GIVERS = [
    ("customer", "Customer"),
    ("vendor", "Vendor"),
    ("mutual", "Mutual consent"),
]


def source_label(env, source):
    """The reader's name of an activity's source code («pbx» → «PBX call records»); the own
    code of an integrator is shown as it was sent."""
    labels = {
        "manual": env._("Entered by hand"),
        "pbx": env._("PBX call records"),
        "teamviewer": env._("TeamViewer connection report"),
        "email": env._("Support request e-mail"),
        "demo": env._("Demo data"),
    }
    return labels.get(source, source or "")
