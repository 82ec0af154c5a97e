"""Exact expected values of every player option against one dealer up card.

`UpcardGame` answers "what is this hand worth if I stand, hit, double, split or surrender?"
for a given shoe, up card and rules, with every card the hand holds removed from the shoe
(composition-dependent), by recursion over the cards the player can still draw. It can play
optimally for the exact composition, or follow a chart's decision tables exactly as the
simulator does, which is how the analyzer checks the simulator.

Conventions (the simulator's, docs/methodology.md):
* When the dealer checks for blackjack (and in a no-hole-card game whose blackjack takes only
  the original bet, which is the same game for the player) values are *conditioned on no dealer
  blackjack*: the hole card is not the blackjack card, for the dealer's hand and for every card
  the player draws. The caller adds the dealer-blackjack branch (`dealer_blackjack_chance`).
* In a no-hole-card game whose blackjack takes all bets, values are unconditioned and a dealer
  blackjack beats every stake on the table, doubles and splits included.
* Splits follow the published analyzers' method: each split hand is played with the shoe less
  the cards of the pair ranks dealt so far (one per hand) and its own cards, but not the other
  split hands' cards; resplits happen in casino order (a hand draws its second card when its
  turn comes) up to `max_split_hands`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.analysis import _kernels
from jost_engine.analysis.dealer_probabilities import (
    blackjack_rank,
    dealer_graph,
    dealer_outcomes_many,
)
from jost_engine.config import Rules
from jost_engine.strategy import may_double_on

Removal = tuple[int, ...]
EMPTY: Removal = (0,) * 10
ACE = 0

STAND, HIT, DOUBLE, SPLIT, SURRENDER = "stand", "hit", "double", "split", "surrender"


def add_card(removal: Removal, rank: int) -> Removal:
    return (*removal[:rank], removal[rank] + 1, *removal[rank + 1 :])


def hand_of(removal: Removal) -> tuple[int, bool]:
    """(total counting aces as one, holds an ace) of the cards in ``removal``."""
    return sum((r + 1) * n for r, n in enumerate(removal)), removal[ACE] > 0


def hand_value(total: int, ace: bool) -> tuple[int, bool]:
    """The best value of a hand and whether it is soft."""
    if ace and total <= 11:
        return total + 10, True
    return total, False


def removal_code(removal: Removal) -> int:
    """The cards of ``removal`` packed into one integer, the key of the compiled memo tables."""
    return sum(n << (_kernels.CODE_BITS * r) for r, n in enumerate(removal))


def _multisets() -> list[Removal]:
    """Every hand of two or more cards whose cards add up to at most 21 (aces as one)."""
    out: list[Removal] = []

    def grow(removal: Removal, start: int, total: int, ncards: int) -> None:
        if ncards >= 2:
            out.append(removal)
        for r in range(start, 10):
            if total + r + 1 <= 21:
                grow(add_card(removal, r), r, total + r + 1, ncards + 1)

    grow(EMPTY, 0, 0, 0)
    out.sort(key=sum)
    return out


HANDS = _multisets()
HAND_INDEX = {h: i for i, h in enumerate(HANDS)}  # a hand's row in the arrays below


@dataclass(frozen=True)
class _HandArrays:
    """`HANDS` as the arrays `_kernels.fill_table` reads, built once."""

    removals: np.ndarray
    codes: np.ndarray
    totals: np.ndarray
    aces: np.ndarray
    twocard: np.ndarray
    values: np.ndarray
    softs: np.ndarray
    children: np.ndarray
    cells: np.ndarray  # soft * 22 + value


def _hand_arrays() -> _HandArrays:
    totals, aces, values, softs = [], [], [], []
    children = np.full((len(HANDS), 10), -1, dtype=np.int64)
    for i, h in enumerate(HANDS):
        total, ace = hand_of(h)
        value, soft = hand_value(total, ace)
        totals.append(total)
        aces.append(ace)
        values.append(value)
        softs.append(int(soft))
        for r in range(10):
            children[i, r] = HAND_INDEX.get(add_card(h, r), -1)
    removals = np.array(HANDS, dtype=np.float64)
    codes = np.array([removal_code(h) for h in HANDS], dtype=np.int64)
    values_a = np.array(values, dtype=np.int64)
    softs_a = np.array(softs, dtype=np.int64)
    return _HandArrays(
        removals=removals,
        codes=codes,
        totals=np.array(totals, dtype=np.int64),
        aces=np.array(aces, dtype=np.bool_),
        twocard=removals.sum(axis=1) == 2,
        values=values_a,
        softs=softs_a,
        children=children,
        cells=softs_a * 22 + values_a,
    )


ARRAYS = _hand_arrays()


def new_dealer_memo() -> Any:
    """An empty compiled table of dealer outcome probabilities, keyed by the cards out.

    Made by a cached kernel: `Dict.empty` called from Python compiles anew in each process.
    """
    return _kernels.new_memo()


@dataclass(frozen=True)
class _Table:
    """Values of every hand of `HANDS` for one set of extra cards out (`UpcardGame.fill`)."""

    extra: np.ndarray  # the extra cards out, per rank
    code: int  # their memo code (with the shoe's offset)
    state: np.ndarray  # [hand] which values are known (`_kernels.ST_*`)
    values: np.ndarray  # [8, hand] stand, hit, later, double: each (EV, E[result²])


_NO_PROBS = np.zeros((1, 10))


@dataclass(frozen=True)
class Policy:
    """A chart resolved into the simulator's decision tables (`strategy.decision_tables`)."""

    dec: np.ndarray  # [ctx, soft, value, up] -> action
    pairs: np.ndarray  # [ctx, card, up] -> 0 play the total, 1 split, 2 surrender


class UpcardGame:
    """Exact values of player hands against dealer up card ``up`` (1 = ace .. 10)."""

    def __init__(
        self,
        rules: Rules,
        shoe: np.ndarray,
        up: int,
        policy: Policy | None = None,
        dealer_memo: Any = None,
    ) -> None:
        self.rules = rules
        self.up = up
        self.infinite = rules.infinite_deck
        cards = np.asarray(shoe, dtype=np.float64).copy()
        if not self.infinite:
            cards[up - 1] -= 1
        self.cards = cards
        self.policy = policy
        bj = blackjack_rank(up)
        takes_all = not rules.dealer_peeks and rules.dealer_blackjack_takes == "all_bets"
        # conditioned: values assume the dealer has no blackjack (the caller adds that branch)
        self.conditioned = bj >= 0 and not takes_all
        self.bj_rank = bj if self.conditioned else -1
        # a surrender costs half the bet even against a blackjack (early, or no hole card)
        self.flat_surrender = rules.surrender == "early" or not rules.dealer_peeks
        self._split: dict[int, float] = {}
        self._up_info = np.array(
            [up, int(self.infinite), self.bj_rank, self.bj_rank], dtype=np.int64
        )
        late = np.full((2, 22), -1, dtype=np.int64)  # -1: the best option for the exact cards
        if policy is not None:
            late[:] = np.where(policy.dec[k.CTX_LATER, :, :, up] == k.A_STAND, 0, 1)
        self._late = late
        graph = dealer_graph(up, rules.dealer_hits_soft_17)
        # the dealer's odds depend on the cards out, not on the policy: share them if asked
        dmemo = new_dealer_memo() if dealer_memo is None else dealer_memo
        self._memo = (graph.drawn, graph.ndrawn, graph.trans, dmemo)
        self._offset = self._shoe_offset(rules, shoe)
        self._tables: dict[Removal, _Table] = {}

    @staticmethod
    def _shoe_offset(rules: Rules, shoe: np.ndarray) -> int:
        """The code of the cards this shoe lacks against a full one, when only a few.

        Memo keys then name the cards out of the *full* shoe, so the games of the shoes of the
        effects of removal (a full shoe less one card) share one dealer memo per up card.
        """
        if rules.infinite_deck:
            return 0
        gone = np.array([4.0] * 9 + [16.0]) * rules.decks - np.asarray(shoe, dtype=np.float64)
        if np.all((gone >= 0) & (gone <= 3) & (gone == np.round(gone))):
            return removal_code(tuple(int(g) for g in gone))
        return 0

    @cached_property
    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """Working space of `fill` (draw chances, dealer's rows), allocated once."""
        return np.empty((len(HANDS), 10)), np.empty((len(HANDS), _kernels.OUTCOMES))

    @cached_property
    def _lmemo(self) -> Any:
        """(EV, E[result²]) of hands of three or more cards, by cards out and total (for the
        recursive kernels; the tables of `_table` serve the common paths)."""
        return _kernels.new_memo()

    # ---- dense tables of hand values (`_kernels.fill_table`) ------------------------------
    def _table(self, extra: Removal) -> _Table:
        table = self._tables.get(extra)
        if table is None:
            table = _Table(
                np.array(extra, dtype=np.float64),
                self._code(extra),
                np.zeros(len(HANDS), dtype=np.uint8),
                np.full((8, len(HANDS)), np.nan),
            )
            self._tables[extra] = table
        return table

    def fill(
        self, extra: Removal, roots: np.ndarray, probs_out: np.ndarray | None = None
    ) -> _Table:
        """Stand, hit and double values of the hands ``roots`` (indexes of `HANDS`) with
        ``extra`` out of the shoe too, and of every hand they reach."""
        table = self._table(extra)
        a = ARRAYS
        _kernels.fill_table(
            self.cards, table.extra, table.code, roots, self._up_info, self._late, a.removals,
            a.codes, a.totals, a.aces, a.children, *self._memo, table.state, table.values,
            _NO_PROBS if probs_out is None else probs_out, *self._scratch,
        )  # fmt: skip
        return table

    def prefill(self, extra: Removal, hands: list[Removal]) -> None:
        """Fill the tables for ``hands`` in one pass when every option of each will be asked
        for (optimal play); a chart asks for fewer, and hand by hand."""
        if self.policy is None and hands:
            self.fill(extra, np.array([HAND_INDEX[h] for h in hands], dtype=np.int64))

    def _locate(
        self, removal: Removal, total: int, ace: bool, hand: Removal | None
    ) -> tuple[Removal, int] | None:
        """(extra cards out, index in `HANDS`) of a hand, or None for the recursive kernels.

        ``hand`` None: the hand is ``removal`` when its cards make ``total``."""
        if hand is None:
            if hand_of(removal) != (total, bool(ace)):
                return None
            hand = removal
        index = HAND_INDEX.get(hand)
        if index is None:
            return None
        return tuple(a - b for a, b in zip(removal, hand, strict=True)), index

    def _tabled(self, loc: tuple[Removal, int], bit: int) -> np.ndarray:
        extra, index = loc
        table = self._table(extra)
        if not table.state[index] & bit:
            self.fill(extra, np.array([index], dtype=np.int64))
        return table.values[:, index]

    # ---- the shoe -------------------------------------------------------------------------
    def left(self, removal: Removal) -> np.ndarray:
        return self.cards if self.infinite else self.cards - np.array(removal, dtype=np.float64)

    def _code(self, removal: Removal) -> int:
        return self._offset + removal_code(removal)

    def _args(self, removal: Removal) -> tuple[np.ndarray, np.ndarray, int]:
        return self.cards, np.array(removal, dtype=np.float64), self._code(removal)

    def draw_probabilities(self, removal: Removal) -> np.ndarray:
        """P(next card is each rank | cards out, and no dealer blackjack when conditioned)."""
        cards, rem, _ = self._args(removal)
        return _kernels.draw_probabilities(cards, rem, self._up_info)

    def dealer_blackjack_chance(self, removal: Removal) -> float:
        """P(dealer blackjack | the up card and the cards in ``removal``)."""
        bj = blackjack_rank(self.up)
        if bj < 0:
            return 0.0
        left = self.left(removal)
        return float(left[bj] / left.sum())

    def dealer(self, removal: Removal) -> np.ndarray:
        """The dealer's outcome probabilities (17..21, bust, blackjack) with ``removal`` out."""
        return dealer_outcomes_many(
            self.cards,
            np.array([removal], dtype=np.float64),
            self.up,
            h17=self.rules.dealer_hits_soft_17,
            infinite=self.infinite,
            peeked=self.conditioned,
        )[0]

    # ---- single options (compiled: jost_engine.analysis._kernels) -------------------------
    # Each kernel gives (EV, E[result²]); the second moment serves the SD of a round.
    def _stand_pair(self, removal: Removal, value: int) -> tuple[float, float]:
        if value > 21:
            return -1.0, 1.0
        return _kernels.stand_value(*self._args(removal), value, self._up_info, *self._memo)

    def _hit_pair(
        self, removal: Removal, total: int, ace: bool, hand: Removal | None = None
    ) -> tuple[float, float]:
        loc = self._locate(removal, total, ace, hand)
        if loc is not None:
            values = self._tabled(loc, _kernels.ST_HIT)
            return values[2], values[3]
        return _kernels.hit_value(
            *self._args(removal), total, ace, self._up_info, self._late, *self._memo, self._lmemo
        )

    def _double_pair(
        self, removal: Removal, total: int, ace: bool, hand: Removal | None = None
    ) -> tuple[float, float]:
        loc = self._locate(removal, total, ace, hand)
        if loc is not None:
            values = self._tabled(loc, _kernels.ST_DOUBLE)
            return values[6], values[7]
        return _kernels.double_value(*self._args(removal), total, ace, self._up_info, *self._memo)

    def stand(self, removal: Removal, value: int) -> float:
        """EV of standing on ``value`` (the hand's cards are in ``removal``)."""
        return float(self._stand_pair(removal, value)[0])

    def hit(self, removal: Removal, total: int, ace: bool, hand: Removal | None = None) -> float:
        """EV of taking one card and then playing on (three or more cards); ``hand``: the
        hand's own cards when ``removal`` holds more (a split hand)."""
        return float(self._hit_pair(removal, total, ace, hand)[0])

    def double(self, removal: Removal, total: int, ace: bool, hand: Removal | None = None) -> float:
        """EV of doubling: one card, twice the stake."""
        return float(self._double_pair(removal, total, ace, hand)[0])

    def surrender(self, removal: Removal) -> float:
        """Surrender, in the same space as the other values (see the module docstring)."""
        if self.flat_surrender and self.conditioned:
            b = self.dealer_blackjack_chance(removal)
            return (b - 0.5) / (1.0 - b)
        return -0.5

    def choose_two(
        self, removal: Removal, ctx: int, total: int, ace: bool, hand: Removal | None = None
    ) -> str:
        """The option a two-card hand (no split) is played with: best, or by the policy."""
        value, soft = hand_value(total, ace)
        if value >= 21:
            return STAND
        if self.policy is None:
            opts = self.options(removal, total, ace, first=ctx == k.CTX_FIRST, hand=hand)
            return max(opts, key=opts.__getitem__)
        act = self.policy.dec[ctx, int(soft), value, self.up]
        return {k.A_STAND: STAND, k.A_HIT: HIT, k.A_DOUBLE: DOUBLE}.get(int(act), SURRENDER)

    def moment2_of(self, option: str, removal: Removal, total: int, ace: bool) -> float:
        """E[result²] of a two-card hand played with ``option`` (not split), in-space."""
        if option == STAND:
            return float(self._stand_pair(removal, hand_value(total, ace)[0])[1])
        if option == HIT:
            return float(self._hit_pair(removal, total, ace)[1])
        if option == DOUBLE:
            return float(self._double_pair(removal, total, ace)[1])
        return 0.25

    def final_totals(
        self, option: str, removal: Removal, total: int, ace: bool
    ) -> tuple[np.ndarray, float]:
        """Distribution of a two-card hand's final total (16-, 17..21, bust) and its stake."""
        out = np.zeros(7)
        rem = np.array(removal, dtype=np.float64)
        code = self._code(removal)
        args = (self._up_info, self._late, *self._memo, self._lmemo)
        if option == STAND:
            value = hand_value(total, ace)[0]
            out[value - 16 if value >= 17 else 0] = 1.0
            return out, 1.0
        probs = self.draw_probabilities(removal)
        for r in range(10):
            if probs[r] <= 0.0:
                continue
            rem[r] += 1.0
            t, a = total + r + 1, ace or r == ACE
            if option == DOUBLE:
                value = hand_value(t, a)[0]
                out[6 if value > 21 else value - 16 if value >= 17 else 0] += probs[r]
            else:
                code_r = code + (1 << (_kernels.CODE_BITS * r))
                _kernels.later_final(self.cards, rem, code_r, t, a, *args, out, probs[r])
            rem[r] -= 1.0
        return out, 2.0 if option == DOUBLE else 1.0

    def split_moment2(self, pair: int) -> float:
        """E[result²] of a split round: two hands that share the dealer's hand.

        Given the dealer's final total the two hands are (nearly) independent, so
        E[S²] = Σ_D P(D) (2 E[X²|D] + 2 E[X|D]²), with each hand's final-total distribution
        exact for its second card (two pair cards out). With resplits the number of hands N
        is random: E[S²|D] = E[N] E[X²|D] + E[N(N-1)] E[X|D]², the hands' moments taken over
        the non-pair second cards. Left out: how the split hands' own cards shift the dealer's
        odds in the cross term, and the odds of the pair card changing as hands are split.
        """
        base = add_card(add_card(EMPTY, pair), pair)
        probs = self.draw_probabilities(base).copy()
        resplit = self._may_resplit(pair, 2)
        n1, n2 = 2.0, 2.0  # E[N], E[N(N-1)]
        if resplit:
            n1, n2 = self._hands_moments(pair, float(probs[pair]))
            probs[pair] = 0.0
            probs /= probs.sum()
        dealer = self.dealer(base)
        outcomes = [dealer[i] for i in range(5)] + [dealer[_kernels.BUST]]
        m1 = np.zeros(6)  # E[X | dealer outcome], dealer 17..21 then bust
        m2 = np.zeros(6)
        s1 = s2 = 0.0  # E[stake], E[stake²]: what a no-hole-card blackjack takes
        for r in range(10):
            p = probs[r]
            if p <= 0.0:
                continue
            removal = add_card(base, r)
            total, ace = pair + r + 2, pair == ACE or r == ACE
            if pair == ACE and not self.rules.hit_split_aces:
                option = STAND
            else:
                hand = add_card(add_card(EMPTY, pair), r)
                option = self.choose_two(removal, k.CTX_SPLIT, total, ace, hand)
            dist, stake = self.final_totals(option, removal, total, ace)
            s1 += p * stake
            s2 += p * stake * stake
            for d in range(6):
                for t in range(7):
                    f = dist[t]
                    if f == 0.0:
                        continue
                    if t == 6:
                        res = -1.0
                    elif d == 5:
                        res = 1.0
                    else:
                        mine = 16 if t == 0 else 16 + t
                        res = 1.0 if mine > 17 + d else -1.0 if mine < 17 + d else 0.0
                    m1[d] += p * f * stake * res
                    m2[d] += p * f * stake * stake * abs(res)
        bj = dealer[_kernels.BLACKJACK]  # 0 when values are conditioned on no blackjack
        total_p = sum(outcomes) + bj
        beaten = bj * (n1 * s2 + n2 * s1 * s1)
        return float(
            (sum(w * (n1 * m2[d] + n2 * m1[d] ** 2) for d, w in enumerate(outcomes)) + beaten)
            / total_p
        )

    def _hands_moments(self, pair: int, p_pair: float) -> tuple[float, float]:
        """E[N] and E[N(N-1)] of the hands a split ends with, resplitting when allowed."""
        dist: dict[int, float] = {}
        stack = [(2, 2, 1.0)]  # (hands waiting for a second card, hands in all, chance)
        while stack:
            waiting, hands, chance = stack.pop()
            if waiting == 0:
                dist[hands] = dist.get(hands, 0.0) + chance
                continue
            if self._may_resplit(pair, hands):
                stack.append((waiting + 1, hands + 1, chance * p_pair))
                stack.append((waiting - 1, hands, chance * (1.0 - p_pair)))
            else:
                stack.append((waiting - 1, hands, chance))
        n1 = sum(n * c for n, c in dist.items())
        n2 = sum(n * (n - 1) * c for n, c in dist.items())
        return n1, n2

    # ---- two-card hands -------------------------------------------------------------------
    def options(
        self, removal: Removal, total: int, ace: bool, *, first: bool, hand: Removal | None = None
    ) -> dict[str, float]:
        """Every allowed option's EV for a two-card hand (no split); ``removal`` holds every
        card out of the shoe, the hand's own (``hand``, when not all of them) among them."""
        value, soft = hand_value(total, ace)
        out = {STAND: self.stand(removal, value)}
        if value < 21:
            out[HIT] = self.hit(removal, total, ace, hand)
            das = first or self.rules.double_after_split
            if das and may_double_on(self.rules, soft, value):
                out[DOUBLE] = self.double(removal, total, ace, hand)
        if first and self.rules.surrender != "none":
            out[SURRENDER] = self.surrender(removal)
        return out

    def _play_two(
        self, removal: Removal, ctx: int, total: int, ace: bool, hand: Removal | None = None
    ) -> float:
        """Value of a two-card hand without splitting, by the policy or optimally."""
        value, soft = hand_value(total, ace)
        if value >= 21:
            return self.stand(removal, value)
        if self.policy is None:
            first = ctx == k.CTX_FIRST
            opts = self.options(removal, total, ace, first=first, hand=hand)
            return max(opts.values())
        act = self.policy.dec[ctx, int(soft), value, self.up]
        if act == k.A_STAND:
            return self.stand(removal, value)
        if act == k.A_HIT:
            return self.hit(removal, total, ace, hand)
        if act == k.A_DOUBLE:
            return self.double(removal, total, ace, hand)
        return self.surrender(removal)

    # ---- splits ---------------------------------------------------------------------------
    def _may_resplit(self, pair: int, hands: int) -> bool:
        if hands >= self.rules.max_split_hands:
            return False
        if pair == ACE and not self.rules.resplit_aces:
            return False
        if self.policy is not None:
            return self.policy.pairs[k.CTX_SPLIT, pair + 1, self.up] == k.PAIR_SPLIT
        return True

    def _split_hand(self, removal: Removal, pair: int, second: int) -> float:
        """Value of one split hand {pair, second}; ``removal`` holds every card out."""
        total = pair + second + 2
        ace = pair == ACE or second == ACE
        if pair == ACE and not self.rules.hit_split_aces:
            return self.stand(removal, hand_value(total, ace)[0])
        return self._play_two(
            removal, k.CTX_SPLIT, total, ace, add_card(add_card(EMPTY, pair), second)
        )

    def _best_split_hands(self, pair: int, hands: int, probs: np.ndarray) -> dict[int, float]:
        """`_split_hand` of every second card r (``probs[r] > 0``) with ``hands`` pair cards
        dealt, read off one filled table, when the hands are played best; else empty."""
        if self.policy is not None or (pair == ACE and not self.rules.hit_split_aces):
            return {}
        seconds = [r for r in range(10) if probs[r] > 0.0]
        extra = (*((0,) * pair), hands - 1, *((0,) * (9 - pair)))
        index = {r: HAND_INDEX[add_card(add_card(EMPTY, pair), r)] for r in seconds}
        table = self.fill(extra, np.array(list(index.values()), dtype=np.int64))
        values = table.values
        out = {}
        for r in seconds:
            i = index[r]
            value, soft = hand_value(pair + r + 2, pair == ACE or r == ACE)
            v = values[0, i]  # as `_play_two`: stand on 21, else the best of the options
            if value < 21:
                v = max(v, values[2, i])
                if self.rules.double_after_split and may_double_on(self.rules, soft, value):
                    v = max(v, values[6, i])
            out[r] = float(v)
        return out

    def split(self, pair: int) -> float:
        """EV of splitting a pair of rank index ``pair`` (the sum over all resulting hands)."""
        cached = self._split.get(pair)
        if cached is not None:
            return cached
        per_hands: dict[int, tuple[float, float, float]] = {}

        def hands_value(hands: int) -> tuple[float, float, float]:
            """(P(pair card next), value of the non-pair second cards, of a pair second card)."""
            if hands not in per_hands:
                base = EMPTY
                for _ in range(hands):
                    base = add_card(base, pair)
                probs = self.draw_probabilities(base)
                best = self._best_split_hands(pair, hands, probs)
                others = 0.0
                for r in range(10):
                    if r != pair and probs[r] > 0.0:
                        v = best[r] if best else self._split_hand(add_card(base, r), pair, r)
                        others += probs[r] * v
                same = 0.0
                if probs[pair] > 0.0:
                    same = (
                        best[pair] if best else self._split_hand(add_card(base, pair), pair, pair)
                    )
                per_hands[hands] = (float(probs[pair]), others, same)
            return per_hands[hands]

        memo: dict[tuple[int, int], float] = {}

        def expected(waiting: int, hands: int) -> float:
            """Value of ``waiting`` hands still to get their second card, ``hands`` in all."""
            if waiting == 0:
                return 0.0
            key = (waiting, hands)
            if key not in memo:
                p_pair, others, same = hands_value(hands)
                if self._may_resplit(pair, hands):
                    memo[key] = (
                        p_pair * expected(waiting + 1, hands + 1)
                        + others
                        + (1.0 - p_pair) * expected(waiting - 1, hands)
                    )
                else:
                    memo[key] = others + p_pair * same + expected(waiting - 1, hands)
            return memo[key]

        value = expected(2, 2)
        self._split[pair] = value
        for extra in [e for e in self._tables if e != EMPTY]:
            del self._tables[extra]  # a pair's tables serve only its split (memory)
        return value

    # ---- the first decision ---------------------------------------------------------------
    @cached_property
    def two_card_hands(self) -> list[tuple[int, int, float]]:
        """Every first two cards (rank indexes, i <= j) with its probability given the up card."""
        left = self.cards
        n = left.sum()
        out = []
        for i in range(10):
            for j in range(i, 10):
                if self.infinite:
                    p = left[i] / n * left[j] / n
                else:
                    p = left[i] / n * (left[j] - (i == j)) / (n - 1)
                if i != j:
                    p *= 2
                if p > 0:
                    out.append((i, j, float(p)))
        return out

    def full_value(self, removal: Removal, conditioned_value: float) -> float:
        """Add the dealer-blackjack branch to a value computed without it."""
        if not self.conditioned:
            return conditioned_value
        b = self.dealer_blackjack_chance(removal)
        return -b + (1.0 - b) * conditioned_value

    def natural_value(self, removal: Removal) -> float:
        """A player blackjack: paid unless the dealer has one too (then a push)."""
        b = self.dealer_blackjack_chance(removal)
        return (1.0 - b) * self.rules.blackjack_payout

    def all_options(self, i: int, j: int) -> dict[str, float]:
        """Every option's EV for first cards i, j, as a full-round value (blackjack included).

        Surrender is included when allowed; split when i == j and splitting is allowed.
        """
        removal = add_card(add_card(EMPTY, i), j)
        total, ace = hand_of(removal)
        opts = self.options(removal, total, ace, first=True)
        if i == j and self.rules.max_split_hands > 1:
            opts[SPLIT] = self.split(i)
        out = {}
        for name, ev in opts.items():
            if name == SURRENDER and self.flat_surrender:
                out[name] = -0.5
            else:
                out[name] = self.full_value(removal, ev)
        return out
