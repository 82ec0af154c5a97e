"""The compiled loop of the simulated index (`index_simulation`): deal a shoe down to a depth,
read the count, play one hand both ways from the same cards (common random numbers).

One call runs independent streams in parallel (numba threads), each with its own
SplitMix64 generator seeded by the caller, so the result does not depend on the number of threads. A
stream repeats: pick one of the cell's two-card hands (its cards and the up card are out of the
shoe), shuffle the seen cards to the front by a partial Fisher-Yates pass, compute the count,
and, when it falls in the window asked for, play the round with action A and with action B from
the same unseen cards (the pass continued as the play needs them: the hole card first, then the
player's cards, then the dealer's) and record (count, result A − result B).

Play after the first decision follows the chart's decision tables (`strategy.decision_tables`);
a split resplits whenever the pair card comes again, up to the rules' limit (as the exact
analyzer values a split).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit, prange

from jost_engine import kernel_layout as k

F = TypeVar("F", bound=Callable[..., Any])

STAND, HIT, DOUBLE, SPLIT, SURRENDER = 0, 1, 2, 3, 4
# rules vector
R_H17, R_PEEK, R_TAKES_ALL, R_MAX_HANDS, R_RSA, R_HSA, R_SURRENDER = range(7)
N_RULES = 7
MAX_HANDS = 8
LOST = -1.0e9  # a round that ran out of cards (never in practice): the trial is dropped
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's Weyl increment


def compiled(f: F) -> F:
    return cast(F, njit(cache=True)(f))


def compiled_parallel(f: F) -> F:
    return cast(F, njit(cache=True, parallel=True)(f))


@compiled
def _mix(z: Any) -> Any:
    """SplitMix64's output function (Steele, Lea & Flood 2014) of a Weyl-sequence word."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@compiled
def _below(state: np.ndarray, n: int) -> int:
    """A uniform integer in [0, n) from the stream's SplitMix64 state (multiply-shift: the
    bias is below n / 2^32, under 1e-7 for a shoe)."""
    state[0] += GOLDEN
    return int(((_mix(state[0]) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@compiled
def _card(deck: np.ndarray, pos: int, ready: np.ndarray, state: np.ndarray) -> int:
    """The card type at ``pos``, fixing the shuffle up to it (Fisher-Yates, one step a card);
    -1 past the last card."""
    n = deck.size
    if pos >= n:
        return -1
    while ready[0] <= pos:
        p = ready[0]
        j = p + _below(state, n - p)
        t = deck[p]
        deck[p] = deck[j]
        deck[j] = t
        ready[0] = p + 1
    return int(deck[pos])


@compiled
def _best(total: int, ace: bool) -> int:
    return total + 10 if ace and total <= 11 else total


@compiled
def _later(
    total: int, ace: bool, up: int, dec: np.ndarray, deck: np.ndarray, value_of: np.ndarray,
    pos: int, ready: np.ndarray, state: np.ndarray,
) -> tuple[int, int]:  # fmt: skip
    """Hit on by the chart's three-card play: (final total, next position); -1 out of cards."""
    while True:
        v = _best(total, ace)
        if v >= 21:
            return v, pos
        if dec[k.CTX_LATER, 1 if (ace and total <= 11) else 0, v, up] == k.A_STAND:
            return v, pos
        t = _card(deck, pos, ready, state)
        if t < 0:
            return -1, pos
        pos += 1
        c = value_of[t]
        total += c
        ace = ace or c == 1
        if total > 21:
            return total, pos


@compiled
def _round(
    first: int, p1: int, p2: int, up: int, deck: np.ndarray, m: int, ready: np.ndarray,
    state: np.ndarray, value_of: np.ndarray, rules: np.ndarray, dec: np.ndarray,
) -> float:  # fmt: skip
    """The round's net (per initial bet) playing ``first`` on the two-card hand p1, p2."""
    t = _card(deck, m, ready, state)
    if t < 0:
        return LOST
    hole = value_of[t]
    pos = m + 1
    dealer_bj = (up == 1 and hole == 10) or (up == 10 and hole == 1)
    peek = rules[R_PEEK] == 1
    if first == SURRENDER and (rules[R_SURRENDER] == 2 or not peek):
        return -0.5  # early, or in a no-hole-card game: settled when made
    if peek and dealer_bj:
        return -1.0
    if first == SURRENDER:
        return -0.5
    totals = np.zeros(MAX_HANDS, dtype=np.int64)
    stakes = np.zeros(MAX_HANDS, dtype=np.int64)
    nh = 1
    if first == SPLIT:
        nh = 2
        h = 0
        while h < nh:
            t = _card(deck, pos, ready, state)
            if t < 0:
                return LOST
            pos += 1
            s = value_of[t]
            while s == p1 and nh < rules[R_MAX_HANDS] and (p1 != 1 or rules[R_RSA] == 1):
                nh += 1
                t = _card(deck, pos, ready, state)
                if t < 0:
                    return LOST
                pos += 1
                s = value_of[t]
            total = p1 + s
            ace = p1 == 1 or s == 1
            stakes[h] = 1
            if p1 == 1 and rules[R_HSA] == 0:
                totals[h] = _best(total, ace)
            else:
                act = dec[k.CTX_SPLIT, 1 if (ace and total <= 11) else 0, _best(total, ace), up]
                if _best(total, ace) >= 21 or act == k.A_STAND:
                    totals[h] = _best(total, ace)
                elif act == k.A_DOUBLE:
                    t = _card(deck, pos, ready, state)
                    if t < 0:
                        return LOST
                    pos += 1
                    totals[h] = _best(total + value_of[t], ace or value_of[t] == 1)
                    stakes[h] = 2
                else:
                    final, pos = _later(total, ace, up, dec, deck, value_of, pos, ready, state)
                    if final < 0:
                        return LOST
                    totals[h] = final
            h += 1
    else:
        total = p1 + p2
        ace = p1 == 1 or p2 == 1
        stakes[0] = 1
        if first == STAND:
            totals[0] = _best(total, ace)
        elif first == DOUBLE:
            t = _card(deck, pos, ready, state)
            if t < 0:
                return LOST
            pos += 1
            totals[0] = _best(total + value_of[t], ace or value_of[t] == 1)
            stakes[0] = 2
        else:  # hit, then the chart
            t = _card(deck, pos, ready, state)
            if t < 0:
                return LOST
            pos += 1
            c = value_of[t]
            final, pos = _later(
                total + c, ace or c == 1, up, dec, deck, value_of, pos, ready, state
            )
            if final < 0:
                return LOST
            totals[0] = final
    if dealer_bj:  # no hole card: the blackjack shows now
        if rules[R_TAKES_ALL] == 1:
            return -float(stakes[:nh].sum())
        return -1.0
    # the dealer
    d_total = up + hole
    d_ace = up == 1 or hole == 1
    while True:
        v = _best(d_total, d_ace)
        soft = d_ace and d_total <= 11
        if v > 17 or (v == 17 and not (soft and rules[R_H17] == 1)):
            break
        t = _card(deck, pos, ready, state)
        if t < 0:
            return LOST
        pos += 1
        d_total += value_of[t]
        d_ace = d_ace or value_of[t] == 1
    dealer = _best(d_total, d_ace)
    net = 0.0
    for h in range(nh):
        if totals[h] > 21:
            net -= stakes[h]
        elif dealer > 21 or totals[h] > dealer:
            net += stakes[h]
        elif totals[h] < dealer:
            net -= stakes[h]
    return net


@compiled_parallel
def simulate(
    decks: np.ndarray, cumulative: np.ndarray, known_tag: np.ndarray,
    p1s: np.ndarray, p2s: np.ndarray, up: int, value_of: np.ndarray, tag_of: np.ndarray,
    irc: float, balanced: bool, m_lo: int, m_hi: int, lo: float, hi: float,
    action_a: int, action_b: int, rules: np.ndarray, dec: np.ndarray,
    per_stream: int, attempts_per_stream: int, seeds: np.ndarray,
    out_x: np.ndarray, out_y: np.ndarray, out_n: np.ndarray, out_attempts: np.ndarray,
) -> None:  # fmt: skip
    """Run the streams: each fills ``per_stream`` (count, A − B) pairs of ``out_x/out_y`` from
    its offset, or stops after ``attempts_per_stream`` shoes; ``out_n`` and ``out_attempts``
    say how many it kept and dealt. ``decks[v]`` is the shoe (card types) less the known cards
    of hand variant ``v``, chosen with the chances in ``cumulative``."""
    streams = seeds.size
    n = decks.shape[1]
    for s in prange(streams):
        state = np.zeros(1, dtype=np.uint64)
        state[0] = np.uint64(seeds[s])
        shoes = decks.copy()
        ready = np.zeros(1, dtype=np.int64)
        kept = 0
        tries = 0
        while kept < per_stream and tries < attempts_per_stream:
            tries += 1
            state[0] += GOLDEN
            u = float(_mix(state[0]) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
            v = 0
            while v < cumulative.size - 1 and u >= cumulative[v]:
                v += 1
            deck = shoes[v]
            m = m_lo if m_hi <= m_lo else m_lo + _below(state, m_hi - m_lo + 1)
            # the seen cards: the first m of a Fisher-Yates pass, inlined (the hot loop)
            w = state[0]
            x = irc + known_tag[v]
            for p in range(m):
                w += GOLDEN
                j = p + int(((_mix(w) >> np.uint64(32)) * np.uint64(n - p)) >> np.uint64(32))
                t = deck[p]
                deck[p] = deck[j]
                deck[j] = t
                x += tag_of[deck[p]]
            state[0] = w
            ready[0] = m
            if balanced:
                x = x * 52.0 / (n - m)
            if x < lo or x > hi:
                continue
            a = _round(action_a, p1s[v], p2s[v], up, deck, m, ready, state, value_of, rules, dec)
            b = _round(action_b, p1s[v], p2s[v], up, deck, m, ready, state, value_of, rules, dec)
            if a == LOST or b == LOST:
                continue
            out_x[s * per_stream + kept] = x
            out_y[s * per_stream + kept] = a - b
            kept += 1
        out_n[s] = kept
        out_attempts[s] = tries
