import hashlib
from datetime import date, datetime
from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import SQL


class HashChainMixin(models.AbstractModel):
    """Tamper evidence: every record of a chain (one chain per contract) carries
    ``chain_hash = sha256(previous chain_hash + canonical fields)``.

    The hash is computed in the same ``create`` (two queries and one UPDATE per batch, whatever
    its size) from the values as stored in the database, so ``_chain_altered`` can recompute it
    from the rows and name the exact record whose stored data was changed behind the ORM's back
    (like Odoo's inalterability hash of posted journal entries). Concurrent writers of the same
    chain are serialised by the caller: the wallet ledger bumps the contract's wallet version,
    the UPD generation locks the contract row.
    """

    _name = "miko.support.hash.chain.mixin"
    _description = "Hash Chain (Tamper Evidence)"
    _chain_group = "contract_id"
    _chain_fields = ()

    chain_hash = fields.Char(
        readonly=True,
        copy=False,
        help="SHA-256 of the previous record's hash of the same contract and of this record's "
        "data: a change made outside Odoo breaks the chain at that record.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._chain_seal()
        return records

    @api.model
    def _chain_canonical(self, row):
        """One record as a stable text: ``name=value`` per chained field, in a fixed order."""
        parts = []
        for name in ("id", self._chain_group, *self._chain_fields):
            value = row[name]
            if value is None or value is False:
                text = ""
            elif isinstance(value, (float, Decimal)):
                text = repr(float(value))
            elif isinstance(value, (date, datetime)):
                text = value.isoformat()
            else:
                text = str(value)
            parts.append(f"{name}={text}")
        return "|".join(parts)

    @api.model
    def _chain_digest(self, previous_hash, row):
        payload = (previous_hash or "") + self._chain_canonical(row)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _chain_rows(self, where):
        columns = SQL(", ").join(
            SQL.identifier(name)
            for name in ("id", self._chain_group, *self._chain_fields, "chain_hash")
        )
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM %s WHERE %s ORDER BY %s, id",
                columns,
                SQL.identifier(self._table),
                where,
                SQL.identifier(self._chain_group),
            )
        )
        return self.env.cr.dictfetchall()

    def _chain_seal(self):
        """Hash the new records, in id order, after the last hash of their chain."""
        if not self:
            return
        self.flush_recordset()
        table = SQL.identifier(self._table)
        group = SQL.identifier(self._chain_group)
        rows = self._chain_rows(SQL("id IN %s", tuple(self.ids)))
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (%(group)s) %(group)s, chain_hash
                  FROM %(table)s
                 WHERE %(group)s IN %(groups)s AND id < %(first_id)s
              ORDER BY %(group)s, id DESC
                """,
                group=group,
                table=table,
                groups=tuple({row[self._chain_group] for row in rows}),
                first_id=min(self.ids),
            )
        )
        last_hash = dict(self.env.cr.fetchall())
        hashes = []
        for row in rows:
            key = row[self._chain_group]
            last_hash[key] = self._chain_digest(last_hash.get(key), row)
            hashes.append((row["id"], last_hash[key]))
        self.env.cr.execute(
            SQL(
                """
                UPDATE %s AS record SET chain_hash = sealed.chain_hash
                  FROM (VALUES %s) AS sealed(id, chain_hash)
                 WHERE record.id = sealed.id
                """,
                table,
                SQL(", ").join(SQL("(%s, %s)", id_, hash_) for id_, hash_ in hashes),
            )
        )
        self.invalidate_recordset(["chain_hash"])

    @api.model
    def _chain_altered(self, group_ids=None):
        """Records whose stored data or hash no longer matches the chain (read in SQL).

        Each record is checked against the stored hash of its predecessor, so an altered row is
        reported itself (not everything after it); a deleted row is reported through its
        successor. Records sealed before the chain existed (no hash, none before them) are
        skipped.
        """
        where = SQL("TRUE")
        if group_ids is not None:
            where = SQL("%s IN %s", SQL.identifier(self._chain_group), tuple(group_ids) or (0,))
        altered = []
        previous = {}
        for row in self._chain_rows(where):
            key = row[self._chain_group]
            if not row["chain_hash"] and key not in previous:
                continue
            if row["chain_hash"] != self._chain_digest(previous.get(key), row):
                altered.append(row["id"])
            previous[key] = row["chain_hash"]
        return self.browse(altered)
