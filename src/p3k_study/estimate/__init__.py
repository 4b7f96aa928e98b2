"""Estimators of the P3K study.

TWFE and the 2x2 are benchmarks; with staggered P3K adoption and effects that grow over time use
`att_gt` (Callaway & Sant'Anna 2021) and its aggregations, `did_imputation` (Borusyak, Jaravel
& Spiess 2024; the regional reports' headline), `event_study(method="cs" or
"sun_abraham")`, and check TWFE with `bacon_decomposition` and `twfe_weights`
(de Chaisemartin-D'Haultfoeuille weights); `honest_did` (Rambachan & Roth 2023) for the
sensitivity of an event study to violations of parallel trends.
"""

from ._common import EstimationError, EstimationWarning, TestResult
from .bacon import BaconResult, bacon_decomposition
from .compare import ComparisonResult, compare_estimators
from .continuous import ContDidResult, cont_did
from .dcdh import TwfeWeightsResult, twfe_weights
from .did import AggregateResult, AttGtResult, att_gt, count_never_treated
from .event_study import EventStudyResult, event_study
from .honest import HonestResult, honest_did
from .imputation import ImputationResult, did_imputation
from .multiplegt import MultiplegtResult, did_multiplegt
from .tables import RegressionTable, regression_table
from .twfe import BeforeAfterResult, RegressionResult, before_after, twfe

__all__ = [
    "AggregateResult",
    "AttGtResult",
    "BaconResult",
    "BeforeAfterResult",
    "ComparisonResult",
    "ContDidResult",
    "EstimationError",
    "EstimationWarning",
    "EventStudyResult",
    "HonestResult",
    "ImputationResult",
    "MultiplegtResult",
    "RegressionResult",
    "RegressionTable",
    "TestResult",
    "TwfeWeightsResult",
    "att_gt",
    "bacon_decomposition",
    "before_after",
    "compare_estimators",
    "cont_did",
    "count_never_treated",
    "did_imputation",
    "did_multiplegt",
    "event_study",
    "honest_did",
    "regression_table",
    "twfe",
    "twfe_weights",
]
