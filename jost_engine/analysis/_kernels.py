"""Compiled kernels of the exact analyzer: the dealer's final-total probabilities.

Only arithmetic lives here. `jost_engine.analysis.dealer_probabilities` builds the dealer's
state graph and prepares the arrays, and keeps the plain-Python enumeration of every card
sequence that the tests hold this kernel to.

The dealer's hand is walked as a graph whose states are the *multisets* of cards drawn so far
(a dealer who has not stopped continues the same way whatever order the cards came in), so one
pass in topological order adds up every card sequence without enumerating them: a few hundred
states instead of up to twenty thousand sequences.

Outcomes are indexed ``0..4`` for final totals 17..21, ``5`` for a bust and ``6`` for a dealer
blackjack (two-card 21). Ranks are indexed ``0..9`` for ace, 2, ..., 9, ten-value.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.typed import Dict

OUTCOMES = 7
BUST = 5
BLACKJACK = 6


@njit(cache=True)
def _forward(counts, n, drawn, ndrawn, trans, exclude, infinite, out):
    """Push probability mass through the dealer graph; terminal outcomes collect in ``out``."""
    states = trans.shape[0]
    mass = np.zeros(states)
    mass[0] = 1.0
    for i in range(states):
        m = mass[i]
        if m == 0.0:
            continue
        denom = n if infinite else n - ndrawn[i]
        first = i == 0 and exclude >= 0
        if first:
            denom -= counts[exclude]
        for r in range(10):
            if first and r == exclude:
                continue
            left = counts[r] if infinite else counts[r] - drawn[i, r]
            if left <= 0.0:
                continue
            p = m * left / denom
            t = trans[i, r]
            if t >= 0:
                mass[t] += p
            else:
                out[-t - 1] += p


@njit(cache=True)
def dealer_outcomes_many(base, removals, drawn, ndrawn, trans, exclude, infinite):
    """Outcome probabilities for the cards ``base`` less each row of ``removals``."""
    k = removals.shape[0]
    out = np.zeros((k, OUTCOMES))
    for i in range(k):
        counts = base.copy() if infinite else base - removals[i]
        _forward(counts, counts.sum(), drawn, ndrawn, trans, exclude, infinite, out[i])
    return out


# ---- player hands -------------------------------------------------------------------------
# A hand's cards out of the shoe are a count per rank; ``code`` packs them five bits a rank so
# the memo tables can key on one integer.
CODE_BITS = 5


@njit(cache=True)
def _dealer_row(cards, removal, code, up_info, graph_drawn, graph_ndrawn, graph_trans, dmemo):
    """The dealer's outcome probabilities with ``removal`` out of the shoe (memoised)."""
    infinite = up_info[1] == 1
    key = 0 if infinite else code
    if key in dmemo:
        return dmemo[key]
    counts = cards.copy() if infinite else cards - removal
    out = np.zeros(OUTCOMES)
    _forward(counts, counts.sum(), graph_drawn, graph_ndrawn, graph_trans, up_info[2],
             infinite, out)  # fmt: skip
    dmemo[key] = out
    return out


@njit(cache=True)
def _stand_ev(row, value):
    if value > 21:
        return -1.0
    ev = row[BUST] - row[BLACKJACK]
    for t in range(17, 22):
        if value > t:
            ev += row[t - 17]
        elif value < t:
            ev -= row[t - 17]
    return ev


@njit(cache=True)
def _draw_probs(cards, removal, up_info):
    """P(next card of each rank), conditioned on the hole card not being ``up_info[3]``."""
    infinite = up_info[1] == 1
    left = cards.copy() if infinite else cards - removal
    n = left.sum()
    probs = left / n
    bj = up_info[3]
    if bj >= 0 and not infinite:
        b = left[bj]
        scale = 1.0 / (1.0 - b / n)
        for r in range(10):
            after = b - 1.0 if r == bj else b
            probs[r] *= (1.0 - after / (n - 1.0)) * scale
    return probs


@njit(cache=True)
def _draw_probs_into(cards, extra, hand, up_info, probs):
    """`_draw_probs` for ``extra`` and ``hand`` out, into ``probs``: the same operations in
    the same order (a sum from 0.0 rank by rank, as numpy's sum in numba), no allocation."""
    infinite = up_info[1] == 1
    n = 0.0
    for r in range(10):
        left = cards[r] if infinite else cards[r] - (extra[r] + hand[r])
        probs[r] = left
        n += left
    b = probs[up_info[3]] if up_info[3] >= 0 else 0.0
    for r in range(10):
        probs[r] = probs[r] / n
    bj = up_info[3]
    if bj >= 0 and not infinite:
        scale = 1.0 / (1.0 - b / n)
        for r in range(10):
            after = b - 1.0 if r == bj else b
            probs[r] *= (1.0 - after / (n - 1.0)) * scale


@njit(cache=True)
def _push(row, value):
    return row[value - 17] if 17 <= value <= 21 else 0.0


@njit(cache=True)
def later_value(
    cards, removal, code, total, ace, up_info, late_table, gd, gn, gt, dmemo, lmemo,
):  # fmt: skip
    """(EV, E[result²]) of a hand of three or more cards: stand, or hit and play on.

    ``late_table[soft, value]`` is the chart's action (0 stand, 1 hit) or -1 to play the best
    option for the exact cards; the second moment follows the same decisions (the SD of a
    round). ``up_info`` = (up card, infinite, dealer exclude, conditioning rank). ``removal``
    is changed during the call and restored before it returns.
    """
    if total > 21:
        return -1.0, 1.0
    # an infinite deck's values depend on the total alone, whatever cards made it
    key = (0 if up_info[1] == 1 else code) * 64 + total * 2 + (1 if ace else 0)
    if key in lmemo:
        known = lmemo[key]
        return known[0], known[1]
    soft = ace and total <= 11
    value = total + 10 if soft else total
    row = _dealer_row(cards, removal, code, up_info, gd, gn, gt, dmemo)
    out = _stand_ev(row, value)
    out2 = 1.0 - _push(row, value)
    if value < 21:
        act = late_table[1 if soft else 0, value]
        if act != 0:  # the loop of `hit_value`, inline: numba recurses only into itself
            probs = _draw_probs(cards, removal, up_info)
            hit = 0.0
            hit2 = 0.0
            for r in range(10):
                p = probs[r]
                if p <= 0.0:
                    continue
                removal[r] += 1.0
                v, v2 = later_value(
                    cards, removal, code + (1 << (CODE_BITS * r)), total + r + 1, ace or r == 0,
                    up_info, late_table, gd, gn, gt, dmemo, lmemo,
                )  # fmt: skip
                removal[r] -= 1.0
                hit += p * v
                hit2 += p * v2
            if act == 1 or hit > out:
                out, out2 = hit, hit2
    pair = np.empty(2)
    pair[0] = out
    pair[1] = out2
    lmemo[key] = pair
    return out, out2


@njit(cache=True)
def hit_value(
    cards, removal, code, total, ace, up_info, late_table, gd, gn, gt, dmemo, lmemo,
):  # fmt: skip
    """(EV, E[result²]) of taking one card and then playing on by ``late_table``."""
    probs = _draw_probs(cards, removal, up_info)
    ev = 0.0
    m2 = 0.0
    for r in range(10):
        p = probs[r]
        if p <= 0.0:
            continue
        removal[r] += 1.0
        v, v2 = later_value(
            cards, removal, code + (1 << (CODE_BITS * r)), total + r + 1, ace or r == 0,
            up_info, late_table, gd, gn, gt, dmemo, lmemo,
        )  # fmt: skip
        removal[r] -= 1.0
        ev += p * v
        m2 += p * v2
    return ev, m2


@njit(cache=True)
def stand_value(cards, removal, code, value, up_info, gd, gn, gt, dmemo):
    """(EV, E[result²]) of standing on ``value``."""
    if value > 21:
        return -1.0, 1.0
    row = _dealer_row(cards, removal, code, up_info, gd, gn, gt, dmemo)
    return _stand_ev(row, value), 1.0 - _push(row, value)


@njit(cache=True)
def double_value(cards, removal, code, total, ace, up_info, gd, gn, gt, dmemo):
    """(EV, E[result²]) of doubling: one card, twice the stake."""
    probs = _draw_probs(cards, removal, up_info)
    ev = 0.0
    m2 = 0.0
    for r in range(10):
        p = probs[r]
        if p <= 0.0:
            continue
        t = total + r + 1
        a = ace or r == 0
        value = t + 10 if (a and t <= 11) else t
        removal[r] += 1.0
        v, v2 = stand_value(cards, removal, code + (1 << (CODE_BITS * r)), value, up_info, gd, gn,
                            gt, dmemo)  # fmt: skip
        removal[r] -= 1.0
        ev += p * v
        m2 += p * v2
    return 2.0 * ev, 4.0 * m2


@njit(cache=True)
def draw_probabilities(cards, removal, up_info):
    return _draw_probs(cards, removal, up_info)


@njit(cache=True)
def propagate_reach(reach, children, probs, hits):
    """Carry each hand's chance of being played on to the hands one card bigger.

    Hands are in order of card count, so a hand's reach is complete before it is carried on.
    ``hits[i]`` is 1 where the policy hits hand i.
    """
    k = reach.shape[0]
    for i in range(k):
        w = reach[i]
        if w == 0.0 or hits[i] == 0:
            continue
        for r in range(10):
            c = children[i, r]
            if c >= 0:
                reach[c] += w * probs[i, r]
    return reach


@njit(cache=True)
def later_final(
    cards, removal, code, total, ace, up_info, late_table, gd, gn, gt, dmemo, lmemo, out, weight,
):  # fmt: skip
    """Add ``weight`` times the distribution of the hand's final total to ``out``.

    ``out[0]`` is 16 or less, ``out[1..5]`` 17..21, ``out[6]`` a bust; decisions as
    `later_value` makes them. Used for the SD of split rounds (`split_moment2`).
    """
    if total > 21:
        out[6] += weight
        return
    soft = ace and total <= 11
    value = total + 10 if soft else total
    take = False
    if value < 21:
        act = late_table[1 if soft else 0, value]
        take = act == 1
        if act == -1:
            row = _dealer_row(cards, removal, code, up_info, gd, gn, gt, dmemo)
            hit = hit_value(cards, removal, code, total, ace, up_info, late_table, gd, gn, gt,
                            dmemo, lmemo)[0]  # fmt: skip
            take = hit > _stand_ev(row, value)
    if not take:
        out[value - 16 if value >= 17 else 0] += weight
        return
    probs = _draw_probs(cards, removal, up_info)
    for r in range(10):
        p = probs[r]
        if p <= 0.0:
            continue
        removal[r] += 1.0
        later_final(cards, removal, code + (1 << (CODE_BITS * r)), total + r + 1, ace or r == 0,
                    up_info, late_table, gd, gn, gt, dmemo, lmemo, out, weight * p)  # fmt: skip
        removal[r] -= 1.0


@njit(cache=True)
def new_memo():
    """An empty int64 -> float64[:] table, made in compiled code: `Dict.empty` in Python
    compiles its constructor anew in every process (about 0.4 s), this loads from the cache."""
    return Dict.empty(key_type=types.int64, value_type=types.float64[:])


BLOCK = 64  # removals per batch of `_forward_block`: the mass table stays in cache


@njit(cache=True, error_model="numpy")
def _forward_block(counts, n, drawn, ndrawn, trans, exclude, mass, out):
    """`_forward` for many finite shoes at once (``counts[rank, j]``, ``n[j]``), lane by lane
    the same operations, so each row is `_forward`'s to the last bit; the inner loop runs over
    the shoes and vectorises. A transition `_forward` skips adds an exact +0.0 here."""
    kk = counts.shape[1]
    states = trans.shape[0]
    mass[:, :kk] = 0.0
    mass[0, :kk] = 1.0
    out[:, :kk] = 0.0
    denom = np.empty(kk)
    for i in range(states):
        first = i == 0 and exclude >= 0
        nd = ndrawn[i]
        for j in range(kk):
            denom[j] = n[j] - nd
        if first:
            for j in range(kk):
                denom[j] -= counts[exclude, j]
        for r in range(10):
            if first and r == exclude:
                continue
            dr = drawn[i, r]
            t = trans[i, r]
            dest = mass[t] if t >= 0 else out[-t - 1]
            src = mass[i]
            cr = counts[r]
            for j in range(kk):
                left = cr[j] - dr
                p = src[j] * left / denom[j]
                dest[j] += p if left > 0.0 else 0.0


@njit(cache=True)
def _dealer_rows_batch(
    cards, extra, extra_code, idx, removals, codes, up_info, gd, gn, gt, dmemo, rows,
):  # fmt: skip
    """Put the dealer's rows of hands ``idx`` (with ``extra`` out too) into ``dmemo`` and
    ``rows[idx]``, in blocks of `BLOCK`: the values `_dealer_row` gives one at a time."""
    states = gt.shape[0]
    mass = np.empty((states, BLOCK))
    out = np.empty((OUTCOMES, BLOCK))
    counts = np.empty((10, BLOCK))
    n = np.empty(BLOCK)
    row = np.empty(10)
    keys = np.empty(BLOCK, dtype=np.int64)
    m = idx.shape[0]
    for start in range(0, m, BLOCK):
        kk = min(BLOCK, m - start)
        for j in range(kk):
            i = idx[start + j]
            for r in range(10):
                row[r] = cards[r] - (extra[r] + removals[i, r])
            n[j] = row.sum()
            for r in range(10):
                counts[r, j] = row[r]
            keys[j] = extra_code + codes[i]
        _forward_block(counts[:, :kk], n[:kk], gd, gn, gt, up_info[2], mass, out)
        for j in range(kk):
            res = np.empty(OUTCOMES)
            for o in range(OUTCOMES):
                res[o] = out[o, j]
                rows[idx[start + j], o] = out[o, j]
            dmemo[keys[j]] = res


# ---- whole tables of hands ----------------------------------------------------------------
# The recursion above keys every hand on a typed dict, which costs more than the arithmetic.
# `fill_table` walks the same hands as dense arrays over `basic_strategy.HANDS` (hands ordered
# by card count, so a hand's children come after it) for one set of extra cards out of the
# shoe (the other split hands' pair cards), with the same operations in the same order, so its
# values are the recursion's to the last bit.
ST_LATER = 1  # stand and later values are known
ST_HIT = 2  # the hit value is known (its children's later values are)
ST_DOUBLE = 4  # the double value is known


@njit(cache=True)
def fill_table(
    cards, extra, extra_code, roots, up_info, late_table, removals, codes, totals, aces,
    children, gd, gn, gt, dmemo, state, values, probs_out, probs_at, rows,
):  # fmt: skip
    """Fill ``values`` for ``roots`` (stand, hit, double) and the hands they reach.

    ``values[:, i]`` is (stand, stand², hit, hit², later, later², double, double²) of hand i
    with ``extra`` out of the shoe as well; ``state[i]`` says which are known (``ST_*``).
    Hands after the first card are played by ``late_table`` as in `later_value`.
    ``probs_out`` (rows of 10, or one row to ignore) gets the roots' draw chances;
    ``probs_at`` and ``rows`` are scratch space (one row of 10 and of 7 a hand).
    """
    k = removals.shape[0]
    need = np.zeros(k, dtype=np.uint8)
    lo = k
    for root in roots:
        need[root] = ST_LATER | ST_HIT | ST_DOUBLE
        lo = min(lo, root)
    keep_probs = probs_out.shape[0] == k
    removal = np.empty(10)
    for i in range(lo, k):  # forward: mark what the roots reach
        nd = need[i]
        if nd == 0:
            continue
        total = totals[i]
        ace = aces[i]
        soft = ace and total <= 11
        value = total + 10 if soft else total
        if value >= 21:
            continue
        if late_table[1 if soft else 0, value] != 0:
            nd |= ST_HIT
            need[i] = nd
        if (nd & ST_HIT and not state[i] & ST_HIT) or (nd & ST_DOUBLE and not state[i] & ST_DOUBLE):
            probs = probs_at[i]
            _draw_probs_into(cards, extra, removals[i], up_info, probs)
            if keep_probs and nd & ST_DOUBLE:
                probs_out[i] = probs
            for r in range(10):
                c = children[i, r]
                if probs[r] > 0.0 and c >= 0:
                    need[c] |= ST_LATER
    # the dealer's rows: one look-up a hand, the missing ones computed in blocks
    infinite = up_info[1] == 1
    if infinite:
        shared = _dealer_row(cards, removal, 0, up_info, gd, gn, gt, dmemo)
    missing = np.empty(k - lo, dtype=np.int64)
    m = 0
    absent = np.empty(0)
    for i in range(lo, k):
        if need[i] == 0 or state[i] & ST_LATER:
            continue
        row = shared if infinite else dmemo.get(extra_code + codes[i], absent)
        if row.shape[0] == 0:
            missing[m] = i
            m += 1
        else:
            rows[i] = row
    if m > 0:
        _dealer_rows_batch(
            cards, extra, extra_code, missing[:m], removals, codes, up_info, gd, gn, gt, dmemo,
            rows,
        )  # fmt: skip
    for i in range(k - 1, lo - 1, -1):  # backward: values from the children's
        nd = need[i]
        st = state[i]
        if nd == 0 or (nd & ~st) == 0:
            continue
        total = totals[i]
        ace = aces[i]
        soft = ace and total <= 11
        value = total + 10 if soft else total
        if not st & ST_LATER:
            row = rows[i]
            values[0, i] = _stand_ev(row, value)
            values[1, i] = 1.0 - _push(row, value)
        if value < 21 and (nd & (ST_HIT | ST_DOUBLE)) & ~st:
            probs = probs_at[i]
            if nd & ST_HIT and not st & ST_HIT:
                hit = 0.0
                hit2 = 0.0
                for r in range(10):
                    p = probs[r]
                    if p <= 0.0:
                        continue
                    c = children[i, r]
                    if c >= 0:
                        hit += p * values[4, c]
                        hit2 += p * values[5, c]
                    else:
                        hit += p * -1.0
                        hit2 += p * 1.0
                values[2, i] = hit
                values[3, i] = hit2
                st |= ST_HIT
            if nd & ST_DOUBLE and not st & ST_DOUBLE:
                ev = 0.0
                m2 = 0.0
                for r in range(10):
                    p = probs[r]
                    if p <= 0.0:
                        continue
                    c = children[i, r]
                    if c >= 0:
                        ev += p * values[0, c]
                        m2 += p * values[1, c]
                    else:
                        ev += p * -1.0
                        m2 += p * 1.0
                values[6, i] = 2.0 * ev
                values[7, i] = 4.0 * m2
                st |= ST_DOUBLE
        if not st & ST_LATER:
            out = values[0, i]
            out2 = values[1, i]
            if value < 21:
                act = late_table[1 if soft else 0, value]
                if act != 0 and (act == 1 or values[2, i] > out):
                    out = values[2, i]
                    out2 = values[3, i]
            values[4, i] = out
            values[5, i] = out2
            st |= ST_LATER
        state[i] = st
