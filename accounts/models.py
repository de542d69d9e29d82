import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from learnwithavi.validators import plain_text


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    INSTRUCTOR = "instructor", _("Instructor")
    ADMIN = "admin", _("Admin")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person: signs in with e-mail; `role` decides what they may do."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None  # type: ignore[assignment]  # e-mail is the login
    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[plain_text]
    )
    last_name = models.CharField(
        _("last name"), max_length=150, blank=True, validators=[plain_text]
    )
    role = models.CharField(
        max_length=16, choices=Role.choices, default=Role.STUDENT, db_index=True
    )
    clerk_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Clerk's `updated_at` of the profile we hold: an older webhook delivery changes nothing.
    clerk_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when Clerk deleted the person (`user.deleted`): the row is a tombstone, never revived.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # e-mail manager

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ClerkWebhookEvent(models.Model):
    """A processed Clerk webhook delivery, keyed by its `svix-id` (deliveries are at-least-once).

    Recorded in the transaction of the change it caused, so a retry or a replay changes nothing.
    """

    svix_id = models.CharField(max_length=100, primary_key=True)
    event_type = models.CharField(max_length=64)
    clerk_id = models.CharField(max_length=64, blank=True)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.svix_id}"
