from django.db import models

from common import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; reads decrypt, writes encrypt.

    Not searchable or orderable in the database by design: look rows up through
    a digest column instead.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value in (None, "") else crypto.encrypt(value)
