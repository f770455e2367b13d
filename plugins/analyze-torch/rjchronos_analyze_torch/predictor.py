"""The ``torch`` failure predictor: a classifier of per-ONU telemetry features.

For each ONU, every ``stride_hours``, :mod:`.features` sums up its recent
telemetry (Rx, OLT Rx and Tx changes over hours to a week, its change against
its PON's, time offline, reboots, Wi-Fi); a perceptron gives the probability
that the ONU goes LOS within ``horizon_hours``. It is trained on labelled
generated scenarios (never the one it is scored on), with a fixed seed. An
ONU alarms when the probability reaches ``threshold`` (chosen on the training
scenarios for the best F1 at 24 h and 72 h lead times), then only after
``rearm_days``.

It learns the ``degradation`` faults: fiber cuts and power outages come with
no warning in the telemetry, so labelling them would teach it noise.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rjchronos_analyze_torch._torch import device, generator, torch
from rjchronos_analyze_torch.features import DAY, HOUR, NAMES, features
from rjchronos_sdk.prediction import Predictor, score_alarms

if TYPE_CHECKING:
    from rjchronos_sdk.sim.telemetry import Scenario

FloatArray = npt.NDArray[np.float64]
#: The fault kinds the classifier learns to foresee.
LEARNED = ("degradation",)


@dataclass(frozen=True)
class PredictorParams:
    """The predictor's settings."""

    #: Hours between two decisions for an ONU.
    stride_hours: float = 1.0
    #: The label: the ONU goes LOS within this many hours.
    horizon_hours: float = 168.0
    hidden: int = 32
    steps: int = 800
    batch: int = 512
    learning_rate: float = 0.005
    #: Candidate alarm thresholds; the best on the training scenarios is kept.
    thresholds: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
    rearm_days: float = 14.0
    seed: int = 7
    device: str = "auto"


class NotTrainedError(RuntimeError):
    """The predictor was asked for alarms before :meth:`TorchPredictor.fit`."""


class TorchPredictor(Predictor):
    """Probability of LOS within the horizon, per ONU, from a perceptron over its features."""

    name = "torch"

    def __init__(self, params: PredictorParams | None = None, **overrides: Any) -> None:
        base = params or PredictorParams()
        self.settings = PredictorParams(**{**asdict(base), **overrides})
        self.params = asdict(self.settings)
        self.seed = self.settings.seed
        self.threshold = 0.5
        self.mean: FloatArray | None = None
        self.std: FloatArray | None = None
        self._weights: list[Any] | None = None
        self.learned: dict[str, Any] = {}

    # -- data --------------------------------------------------------------------------

    def _decisions(self, times: FloatArray) -> npt.NDArray[np.int64]:
        step = float(times[1] - times[0])
        stride = max(1, round(self.settings.stride_hours * HOUR / step))
        return np.arange(stride - 1, len(times), stride)

    def _rows(
        self, times: FloatArray, metrics: Mapping[str, FloatArray], pon_of: npt.NDArray[np.int64]
    ) -> tuple[FloatArray, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Features of each (ONU, decision step) where the ONU reports Rx, and their indexes."""
        table = features(times, metrics, pon_of)
        steps = self._decisions(times)
        reporting = ~np.isnan(metrics["onu_rx_dbm"][:, steps])
        onus, which = np.nonzero(reporting)
        return table[onus, steps[which]], onus, steps[which]

    def _labels(
        self, scenario: Scenario, onus: npt.NDArray[np.int64], steps: npt.NDArray[np.int64]
    ) -> FloatArray:
        failure = np.full(scenario.onu_count, np.inf)
        for fault in scenario.faults:
            if fault.kind in LEARNED and fault.failure is not None:
                for onu in fault.onus:
                    failure[onu] = min(failure[onu], fault.failure)
        ahead = failure[onus] - scenario.times[steps]
        return ((ahead > 0) & (ahead <= self.settings.horizon_hours * HOUR)).astype(np.float64)

    # -- the model ---------------------------------------------------------------------

    def _forward(self, inputs: Any) -> Any:
        t = torch()
        w1, b1, w2, b2, w3, b3 = self._weights or []
        hidden = t.relu(t.relu(inputs @ w1 + b1) @ w2 + b2)
        return (hidden @ w3 + b3).squeeze(-1)

    def fit(self, scenarios: Sequence[Scenario]) -> Mapping[str, Any]:
        """Train on labelled scenarios and pick the alarm threshold on them."""
        if not scenarios:
            raise ValueError("the torch predictor needs at least one labelled scenario")
        t = torch()
        p = self.settings
        on = device(p.device)
        parts = [self._rows(s.times, s.metrics, s.pon_of) for s in scenarios]
        x = np.concatenate([rows for rows, _, _ in parts])
        y = np.concatenate(
            [
                self._labels(s, onus, steps)
                for s, (_, onus, steps) in zip(scenarios, parts, strict=True)
            ]
        )
        self.mean, self.std = x.mean(axis=0), x.std(axis=0) + 1e-6
        inputs = t.tensor((x - self.mean) / self.std, dtype=t.float32, device=on)
        targets = t.tensor(y, dtype=t.float32, device=on)
        g = generator(p.seed, on)
        width = len(NAMES)
        self._weights = [
            t.randn(width, p.hidden, generator=g, device=on) * math.sqrt(2 / width),
            t.zeros(p.hidden, device=on),
            t.randn(p.hidden, p.hidden, generator=g, device=on) * math.sqrt(2 / p.hidden),
            t.zeros(p.hidden, device=on),
            t.randn(p.hidden, 1, generator=g, device=on) * 0.01,
            t.zeros(1, device=on),
        ]
        for weight in self._weights:
            weight.requires_grad_(True)
        optimiser = t.optim.Adam(self._weights, lr=p.learning_rate)
        positives = float(y.sum())
        weight_of_positive = t.tensor(
            min(20.0, (len(y) - positives) / max(positives, 1.0)), device=on
        )
        loss = t.tensor(0.0)
        for _ in range(p.steps):
            pick = t.randint(0, len(y), (min(p.batch, len(y)),), generator=g, device=on)
            loss = t.nn.functional.binary_cross_entropy_with_logits(
                self._forward(inputs[pick]), targets[pick], pos_weight=weight_of_positive
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        for weight in self._weights:
            weight.requires_grad_(False)
        self.threshold, in_sample = self._choose_threshold(scenarios)
        self.learned = {
            "rows": len(y),
            "positives": int(positives),
            "final_loss": round(float(loss.item()), 4),
            "threshold": self.threshold,
            "training_f1": in_sample,
            "device": on,
        }
        return self.learned

    def _choose_threshold(self, scenarios: Sequence[Scenario]) -> tuple[float, float]:
        best = (self.settings.thresholds[0], -1.0)
        probabilities = [self._probabilities(s.times, s.metrics, s.pon_of) for s in scenarios]
        for threshold in self.settings.thresholds:
            f1s = []
            for scenario, found in zip(scenarios, probabilities, strict=True):
                raised = self._alarms_from(scenario.times, found, threshold)
                alarms = [(str(onu), moment) for onu, moment in raised]
                failures = [
                    (str(onu), fault.failure)
                    for fault in scenario.faults
                    if fault.kind in LEARNED and fault.failure is not None
                    for onu in fault.onus
                ]
                f1s += [score_alarms(failures, alarms, lead * HOUR).f1 for lead in (24, 72)]
            mean = float(np.mean(f1s))
            if mean > best[1]:
                best = (threshold, round(mean, 3))
        return best

    def _probabilities(
        self, times: FloatArray, metrics: Mapping[str, FloatArray], pon_of: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
        if self._weights is None or self.mean is None or self.std is None:
            raise NotTrainedError("the torch predictor has not been trained: call fit() first")
        t = torch()
        rows, onus, steps = self._rows(times, metrics, pon_of)
        on = self._weights[0].device
        inputs = t.tensor((rows - self.mean) / self.std, dtype=t.float32, device=on)
        with t.no_grad():
            found = t.sigmoid(self._forward(inputs)).cpu().numpy().astype(np.float64)
        return onus, steps, found

    def _alarms_from(
        self,
        times: FloatArray,
        found: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray],
        threshold: float,
    ) -> list[tuple[int, float]]:
        onus, steps, probability = found
        raised: list[tuple[int, float]] = []
        last: dict[int, float] = {}
        order = np.lexsort((steps, onus))
        for index in order[probability[order] >= threshold]:
            onu, moment = int(onus[index]), float(times[steps[index]])
            if moment - last.get(onu, -np.inf) >= self.settings.rearm_days * DAY:
                last[onu] = moment
                raised.append((onu, moment))
        return raised

    # -- the contract ------------------------------------------------------------------

    def probabilities(
        self, times: FloatArray, metrics: Mapping[str, FloatArray], pon_of: npt.NDArray[np.int64]
    ) -> FloatArray:
        """``probability[onu, step]`` of LOS within the horizon; NaN between decisions."""
        onus, steps, found = self._probabilities(times, metrics, pon_of)
        table = np.full(metrics["onu_rx_dbm"].shape, np.nan)
        table[onus, steps] = found
        return table

    def alarms(
        self, times: FloatArray, metrics: Mapping[str, FloatArray], pon_of: npt.NDArray[np.int64]
    ) -> list[tuple[int, float]]:
        return self._alarms_from(times, self._probabilities(times, metrics, pon_of), self.threshold)

    def artefact(self) -> bytes:
        """The trained weights, feature scaling and threshold (``torch.save``)."""
        if self._weights is None or self.mean is None or self.std is None:
            raise NotTrainedError("the torch predictor has not been trained: call fit() first")
        buffer = io.BytesIO()
        torch().save(
            {
                "weights": [w.cpu() for w in self._weights],
                "mean": self.mean.tolist(),
                "std": self.std.tolist(),
                "threshold": self.threshold,
                "features": list(NAMES),
                "params": self.params,
            },
            buffer,
        )
        return buffer.getvalue()

    @classmethod
    def from_artefact(cls, data: bytes) -> TorchPredictor:
        """A trained predictor from :meth:`artefact`'s bytes."""
        saved = torch().load(io.BytesIO(data), weights_only=True)
        params = dict(saved["params"])
        params["thresholds"] = tuple(params["thresholds"])
        predictor = cls(PredictorParams(**params))
        on = device(predictor.settings.device)
        predictor._weights = [w.to(on) for w in saved["weights"]]
        predictor.mean, predictor.std = np.array(saved["mean"]), np.array(saved["std"])
        predictor.threshold = float(saved["threshold"])
        return predictor
