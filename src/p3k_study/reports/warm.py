"""Preload of the batch's fork server: the imports every report worker needs, done once.

`batch._Workers` names this module in `multiprocessing`'s fork-server preload, so the server
imports it before it forks the first worker and every worker starts from that warm state
(`kernels.warm_worker`). Importing it anywhere else only costs those imports.
"""

from p3k_study.reports.batch import kernel_environment
from p3k_study.reports.kernels import warm_worker

warm_worker(kernel_environment())
