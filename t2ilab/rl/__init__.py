"""Learning from ratings (lesson 04): the source article's feedback loop as reinforcement learning.

One idea a file: `policy` (the preference adapter over a frozen generator), `raters`
(simulated with a hidden taste, or a person), `reward_model` (a head on the judge's features),
`updates` (REINFORCE + KL, reward-weighted likelihood, DPO, best-of-n), `session` (rounds saved
as they happen, resumable), `store` (the adapter as safetensors).
"""
from __future__ import annotations

from .policy import Draw, PreferenceAdapter
from .raters import Rater, SimulatedRater, brightness, make_rater
from .reward_model import RewardModel
from .session import FeedbackSession
from .store import load_adapter, save_adapter
from .updates import DEFAULTS, RULES, update

__all__ = ["Draw", "PreferenceAdapter", "Rater", "SimulatedRater", "brightness", "make_rater", "RewardModel",
           "FeedbackSession", "load_adapter", "save_adapter", "DEFAULTS", "RULES", "update"]
