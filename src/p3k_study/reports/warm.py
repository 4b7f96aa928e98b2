"""The warm state of a report worker, taken once per process by importing this module.

`batch._Workers` names it in `multiprocessing`'s fork-server preload, so the server imports it
before it forks the first worker, and every worker starts from that state (`kernels.warm_up`);
`kernels.warm_worker` imports it in a worker that was not forked from that server.
"""

from p3k_study.reports.batch import kernel_environment
from p3k_study.reports.kernels import warm_up

warm_up(kernel_environment())
