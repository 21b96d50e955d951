"""What every engagements view shares: page size and who may read or edit."""

from psops.accounts.models import Role
from psops.accounts.permissions import SERVICES_ROLES

PER_PAGE = 25
# Reading an engagement: everyone whose selector lets them see it (sales: only its own deals).
READ_ROLES = (*SERVICES_ROLES, Role.SALES)
EDIT_ROLES = SERVICES_ROLES
