"""Texts the addon creates in the database, stored in every installed language."""


def store_in_all_languages(records, field_name, term):
    """Write ``term(env)`` as ``field_name`` of ``records`` in each installed language;
    returns ``records``.

    ``term`` is a function of an environment returning the text in its language, e.g.
    ``lambda env: env._("Support")``: records created by the code (a project, its stages, the
    prepaid-support product) read right whatever the language of the user who triggered their
    creation, and whatever the language of the reader.
    """
    if not records:
        return records
    english = records.with_context(lang="en_US")
    english.write({field_name: term(english.env)})
    translations = {
        lang: term(records.with_context(lang=lang).env)
        for lang, _name in records.env["res.lang"].get_installed()
        if lang != "en_US"
    }
    if translations:
        for record in records:
            record.update_field_translations(field_name, translations)
    return records
