"""The warm state of a report worker, taken once per process by importing this module.

`batch._Workers` names it in `multiprocessing`'s fork-server preload, so the server imports it
before it forks the first worker, and every worker starts from that state (`process.warm_up`);
`process.warm_worker` imports it in a worker that was not forked from that server.
"""

from p3k_study.reports.batch import report_environment
from p3k_study.reports.process import warm_up

warm_up(report_environment())
