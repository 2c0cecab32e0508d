import sys

from .threads import one_blas_thread

one_blas_thread()  # before .cli imports numpy

from .cli import main  # noqa: E402

sys.exit(main())
