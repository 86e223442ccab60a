"""Classic location models as building blocks: ``gridplan.locate.p_median`` and friends.

They live in :mod:`gridplan.allocation.locate`; this module is the short public path.

>>> import numpy as np
>>> from gridplan.locate import p_median
>>> p_median(np.array([[0.0, 4.0], [3.0, 0.0], [1.0, 5.0]]), p=1).objective
4.0
"""

from gridplan.allocation.locate import *  # noqa: F403
from gridplan.allocation.locate import __all__  # noqa: F401
