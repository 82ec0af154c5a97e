"""The compiled round loop: arrays in, integer counters out.

Private. Nothing here validates or allocates on the common path; the public API (`jost_engine.
table`, `jost_engine.shards`) prepares every array. The layout follows what made a numba loop
beat a tight C loop on this machine (the design notes' PERFORMANCE.md): the common path of a round
lives in the loop body with plain local variables; rare paths (splits, other seats, shuffling
the next block) are separate functions; the RNG is xoshiro256** in uint64 arithmetic on scalars.

Each card in ``shoe`` is one integer: its value (1 = ace … 10) in the low four bits and its
count tag (times ``TAG_DEN``; a red seven can differ from a black one) above them, so
``code & 15`` is the value and ``code >> 4`` the tag, and a shuffle moves one array.
The shoe is shuffled lazily: positions ``[0, ready)`` of ``shoe`` are a uniformly shuffled
prefix (a Fisher-Yates pass that is extended in blocks of ``BLOCK`` cards as dealing reaches
it), so a shuffle costs one RNG draw per card actually dealt. Because the RNG is used only by
that shuffle, and the prefix is always extended to a multiple of ``BLOCK``, the card sequence is
a function of the seed alone and `jost_engine.reference` reproduces it card for card.

Money is kept in exact integers: bets in betting units, results in units times ``SCALE`` (the
smallest multiplier that makes half-bets and the blackjack payout whole), so shard results merge
exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from jost_engine.kernel_layout import *  # noqa: F403 - the layout's names, frozen in as constants

_MASK32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)


_di = njit(cache=True)(decision_index)
_pi = njit(cache=True)(pair_index)


@njit(cache=True)
def _index_play(play, d, tc, devs):
    """Follow a cell's chain of index plays (rare: only cells that have one)."""
    while d >= 0:
        a = devs[4 * d + 1] if tc >= devs[4 * d] else devs[4 * d + 2]
        if a >= 0:
            return a
        d = devs[4 * d + 3]
    return play


@njit(cache=True)
def _split_count(rc):
    """(betting count, playing count) of a packed running count, both times 13."""
    bet = (rc + ASC_HALF) >> ASC_SHIFT
    return bet, 13 * (rc - (bet << ASC_SHIFT))


@njit(cache=True)
def _tc_tables(shoe, irc, asc, tc_mul, tc_den, rounding):
    """Per cards remaining, the true count's division as a multiply and a shift, exactly.

    ``floor(x / d)`` for ``0 <= x < 2**N`` is ``(x * M) >> S`` with ``S = N + ceil(log2 d)``
    and ``M = ceil(2**S / d)`` (Granlund and Montgomery, 1994), so the table holds, per
    ``r``: an offset ``K * d`` (plus ``d`` for rounding to nearest) that makes the numerator
    non-negative, ``M``, ``S`` and ``K``. The numerator's bound comes from the shoe's tags
    (no count can exceed the initial count plus every tag's size): with the config's limits
    (tags within ±4, counts within ±1000) it stays near ``2**25``, so every product fits in 64
    bits. Returns the table and the numerator's factor (2 when rounding to nearest).
    """
    if asc == 1:
        # an ace side count: the betting and the playing count (both times 13) are packed
        bet, play = _split_count(irc)
        bound_bet = abs(bet) + 1
        bound_play = abs(play) + 13
        for c in shoe:
            bet, play = _split_count(c >> 4)
            bound_bet += abs(bet) + 1
            bound_play += abs(play) + 13
        bound = max(bound_bet, bound_play)
    else:
        bound = abs(irc)
        for c in shoe:
            bound += abs(c >> 4)
    a = 2 if rounding == 2 else 1
    nb = bound * tc_mul * a
    m = tc_den.size
    tab = np.zeros(4 * m, np.int64)
    dmax = 1
    for r in range(m):
        dmax = max(dmax, a * tc_den[r])
    bits = 1
    while (1 << bits) <= 2 * nb + 2 * dmax + 2:
        bits += 1
    if bits > 30:  # the config's limits on tags and counts keep it near 2**25
        raise ValueError("counts too large for the kernel's exact true count")
    for r in range(m):
        d = a * tc_den[r]
        lg = 0
        while (1 << lg) < d:
            lg += 1
        sh = bits + lg
        k = nb // d + 1
        tab[4 * r] = k * d + (tc_den[r] if rounding == 2 else 0)
        tab[4 * r + 1] = ((1 << sh) + d - 1) // d
        tab[4 * r + 2] = sh
        tab[4 * r + 3] = k
    return tab, a


@njit(cache=True)
def _tc_fast(num, r, tab, rounding):
    """The true count of numerator ``num`` (the count times the multiplier, times 2 when
    rounding to nearest) with ``r`` cards remaining, from `_tc_tables`."""
    i = 4 * r
    if rounding == 1 and num < 0:  # truncation: toward zero
        return tab[i + 3] - (((tab[i] - num) * tab[i + 1]) >> tab[i + 2])
    return (((num + tab[i]) * tab[i + 1]) >> tab[i + 2]) - tab[i + 3]


@njit(cache=True)
def _early_surrender(p1, p2, up, max_hands, dec, pairs, dev_first, pair_first, devs, idx_on, tc):
    """Whether a two-card hand surrenders early (before the dealer checks): pairs by the pair
    table, the rest by the hand's total, each with its index plays."""
    pa = pairs[_pi(CTX_FIRST, p1, up)]
    if idx_on == 1 and pair_first[_pi(CTX_FIRST, p1, up)] >= 0:
        pa = _index_play(pa, pair_first[_pi(CTX_FIRST, p1, up)], tc, devs)
    if p1 == p2 and max_hands > 1 and pa != 0:
        return pa == PAIR_SURRENDER
    total = p1 + p2
    soft = 1 if (p1 == 1 or p2 == 1) else 0
    sv = total + 10 * soft
    cell = _di(CTX_FIRST, soft, sv, up)
    act = dec[cell]
    if idx_on == 1 and dev_first[cell] >= 0:
        act = _index_play(act, dev_first[cell], tc, devs)
    return act == A_SURRENDER


# Lemire's rejection threshold (2**32 - m) % m for every shoe size m (8 decks at most): read
# only in the rare case that needs it, so the hot loop never computes a division.
_REJECT_BELOW = np.array([0] + [(2**32 - m) % m for m in range(1, 52 * 8 + 1)], dtype=np.uint64)


@njit(cache=True)
def _fisher_yates(shoe, lo, hi, n, rng):
    """Fisher-Yates steps ``lo`` … ``hi - 1`` of the lazy shuffle, the RNG state in ``rng``.

    Each step draws xoshiro256** and takes Lemire's bounded integer with rejection, so every
    card is exactly equally likely. The state lives in locals for the whole run of steps and
    the step counts down the cards left (``m``) beside the position, so the loop body is the
    RNG, one multiply and the swap (it is about 40% of a flat round's instructions).
    """
    s0 = rng[0]
    s1 = rng[1]
    s2 = rng[2]
    s3 = rng[3]
    p = np.uint64(lo)
    end = np.uint64(hi)
    m = np.uint64(n - lo)
    while p < end:
        x = ((s1 * np.uint64(5)) << np.uint64(7) | (s1 * np.uint64(5)) >> np.uint64(57)) * (
            np.uint64(9)
        )
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
        prod = (x >> np.uint64(32)) * m
        low = prod & _MASK32
        if low < m and low < _REJECT_BELOW[m]:
            continue  # rejected (rare): draw again for the same step
        # unsigned positions: no negative-index fix-ups in the hottest loop
        j = p + (prod >> np.uint64(32))
        c = shoe[j]
        shoe[j] = shoe[p]
        shoe[p] = c
        p += np.uint64(1)
        m -= np.uint64(1)
    rng[0] = s0
    rng[1] = s1
    rng[2] = s2
    rng[3] = s3


@njit(cache=True)
def _shuffle_ahead(shoe, rng, n, block, irc, need, pos, ready, rc, start, shuffles):
    """Extend the shuffled prefix so that ``need`` more cards can be dealt.

    Called when the shuffled prefix runs short: before a round (for the deal and most of its
    draws, whole blocks at a time) and, rarely, in the middle of one. The shoe state travels as
    plain integers and comes back as a tuple; the RNG state stays in ``rng`` (only this function
    draws, so the round loop carries none of it). When the shoe runs out in the middle of a
    round, the discards of earlier rounds are reshuffled: the round's cards move to the front,
    the count restarts, and dealing continues from the rest.
    """
    if pos + need > n:
        k = n - start
        tmp = shoe[start:].copy()
        rest = shoe[:start].copy()
        shoe[:k] = tmp
        shoe[k:] = rest
        pos = k
        ready = k
        rc = irc
        start = 0
        shuffles += 1
    if ready < pos + need:
        # whole blocks from ``ready`` (the card sequence depends on where the shuffle stops)
        stop = min(n, ready + block * ((pos + need - ready + block - 1) // block))
        _fisher_yates(shoe, ready, stop, n, rng)
        ready = stop
    return pos, ready, rc, start, shuffles


@njit(cache=True)
def _store(ss, pos, ready, rc, start, shuffles):
    """Hand the main loop's local shoe state to the rare paths."""
    ss[S_POS] = pos
    ss[S_READY] = ready
    ss[S_RC] = rc
    ss[S_ROUND_START] = start
    ss[S_SHUFFLES] = shuffles


@njit(cache=True)
def _load(ss):
    return ss[S_POS], ss[S_READY], ss[S_RC], ss[S_ROUND_START], ss[S_SHUFFLES]


@njit(cache=True)
def _draw(shoe, rng, ss, prm):
    """One card for the rare paths (splits, other seats): shoe state in ``ss``, RNG in ``rng``."""
    if ss[S_POS] >= ss[S_READY]:
        state = _shuffle_ahead(
            shoe, rng, prm[P_NCARDS], prm[P_BLOCK], prm[P_IRC], 1,
            ss[S_POS], ss[S_READY], ss[S_RC], ss[S_ROUND_START], ss[S_SHUFFLES],
        )  # fmt: skip
        _store(ss, *state)
    code = shoe[ss[S_POS]]
    ss[S_POS] += 1
    ss[S_RC] += code >> 4
    return code & 15


@njit(cache=True)
def _play_seat(
    shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs, tc_play, use_index,
    up, c1, c2, out, off,
):  # fmt: skip
    """Play one seat's hand from its first two cards, splits included.

    Fills, per final hand i, its total ``out[off + i]``, its bet multiplier (1, or 2 when
    doubled) ``out[off + H_MULT + i]`` and a flag (stand, bust, surrender)
    ``out[off + H_FLAG + i]``. Cards are dealt in casino order: a split hand gets its second card
    when its turn comes. Every hand after the first starts with the split card ``c1``. Returns
    the number of hands.
    """
    max_hands = prm[P_MAX_HANDS]
    rsa = prm[P_RSA]
    hsa = prm[P_HSA]
    nh = 1
    i = 0
    while i < nh:
        a = c1
        from_split = nh > 1
        b = c2 if i == 0 else _draw(shoe, rng, ss, prm)
        total = a + b
        ace = a == 1 or b == 1
        ncards = 2
        mult = 1
        flag = F_STAND
        split_aces = from_split and a == 1
        while True:
            if ncards == 2 and a == b and nh < max_hands and (a != 1 or not from_split or rsa):
                ctx = CTX_SPLIT if from_split else CTX_FIRST
                pa = pairs[_pi(ctx, a, up)]
                if use_index == 1 and pair_first[_pi(ctx, a, up)] >= 0:
                    pa = _index_play(pa, pair_first[_pi(ctx, a, up)], tc_play, devs)
                if pa == PAIR_SPLIT:
                    nh += 1
                    b = _draw(shoe, rng, ss, prm)
                    total = a + b
                    ace = a == 1 or b == 1
                    from_split = True
                    split_aces = a == 1
                    continue
                if pa == PAIR_SURRENDER:
                    flag = F_SURRENDER
                    break
            if split_aces and not hsa:
                break
            soft = 1 if (ace and total <= 11) else 0
            value = total + 10 * soft
            if value >= 21:
                break
            ctx = (CTX_SPLIT if from_split else CTX_FIRST) if ncards == 2 else CTX_LATER
            cell = _di(ctx, soft, value, up)
            act = dec[cell]
            if use_index == 1 and dev_first[cell] >= 0:
                act = _index_play(act, dev_first[cell], tc_play, devs)
            if act == A_STAND:
                break
            if act == A_SURRENDER:
                flag = F_SURRENDER
                break
            c = _draw(shoe, rng, ss, prm)
            total += c
            ncards += 1
            if c == 1:
                ace = True
            if act == A_DOUBLE:
                mult = 2
                break
            if total > 21:
                break
        if total > 21:
            flag = F_BUST
        value = total + 10 if (ace and total <= 11) else total
        out[off + i] = value
        out[off + H_MULT + i] = mult
        out[off + H_FLAG + i] = flag
        i += 1
    return nh


@njit(cache=True)
def _play_spots(
    shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs, tc_play, idx_on, up, extra,
    c1s, c2s, xs, play,
):  # fmt: skip
    """Our second and third spots (after the first, in seat order): naturals, early
    surrenders and, with ``play``, their hands, splits included.

    Spot j + 2's cards are ``c1s[j]``, ``c2s[j]``; its hands go to ``xs[j * X_STRIDE:]``.
    Without ``play`` (a dealer blackjack found by the peek) each spot stays one two-card hand.
    Returns bit 0: some hand needs the dealer's hand (stands, or is a natural the no-hole-card
    dealer must check); bit 1: some hand needs it played out; bit 2: a spot split.
    """
    surrender = prm[P_SURRENDER]
    max_hands = prm[P_MAX_HANDS]
    live = 0
    for j in range(extra):
        a = c1s[j]
        b = c2s[j]
        base = j * X_STRIDE
        nat = (a + b == 11) and (a == 1 or b == 1)
        xs[base + X_NAT] = nat
        xs[base + X_NH] = 1
        xs[base] = 21 if nat else a + b
        xs[base + H_MULT] = 1
        xs[base + H_FLAG] = F_STAND
        if nat:
            live |= 1
            continue
        if surrender == 2 and _early_surrender(
            a, b, up, max_hands, dec, pairs, dev_first, pair_first, devs, idx_on, tc_play
        ):
            xs[base + H_FLAG] = F_SURRENDER  # before the dealer checks
            continue
        if play == 0:
            continue
        nh = _play_seat(
            shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs, tc_play, idx_on,
            up, a, b, xs, base,
        )  # fmt: skip
        xs[base + X_NH] = nh
        if nh > 1:
            live |= 4
        for k in range(nh):
            if xs[base + H_FLAG + k] == F_STAND:
                live |= 3
    return live


@njit(cache=True)
def _u(i):
    """An index known to be non-negative, as unsigned: numba then skips the negative-index
    fix-up it adds to every signed index (a compare and an add on the hottest reads)."""
    return np.uint64(i)


@njit(cache=True)
def _settle_split(h, nh, bet, scale, takes_all, dealer_bj, dv, counters):
    """A split round's net result (insurance apart) and its wager; its outcomes counted.

    Rare (about one round in forty), so it lives outside the loop and counts straight into
    ``counters``; a split hand is never a natural, and a round that split surrendered nothing
    before the split.
    """
    half = scale // 2
    net = 0
    wagered = 0
    for k in range(nh):
        f = h[H_FLAG + k]
        mult = h[H_MULT + k]
        stake = bet * mult * scale
        wagered += bet * mult
        if mult == 2:
            counters[C_DOUBLE] += 1
        if dealer_bj == 1:
            # European no hole card: the blackjack takes every bet, or the original one
            if takes_all == 1:
                net -= stake
            elif k == 0:
                net -= bet * scale
        elif f == F_SURRENDER:
            net -= bet * half
        elif f == F_BUST:
            net -= stake
        elif dv > 21 or h[k] > dv:
            net += stake
        elif h[k] < dv:
            net -= stake
        if f == F_SURRENDER:
            counters[C_SURRENDER] += 1
        elif dealer_bj == 1 or f == F_BUST:
            counters[C_LOSS] += 1
            if f == F_BUST:
                counters[C_BUST] += 1
        elif dv > 21 or h[k] > dv:
            counters[C_WIN] += 1
        elif h[k] < dv:
            counters[C_LOSS] += 1
        else:
            counters[C_PUSH] += 1
    return net, wagered


# The outcome of a round played as one hand (it indexes the loop's small tables)
O_SURRENDER = 0
O_BLACKJACK = 1
O_PUSH = 2
O_LOSS = 3
O_BUST = 4  # a loss, and a bust
O_WIN = 5
N_OUTCOMES = 6
N_CLASSES = 4 * N_OUTCOMES  # a common round's class: dealer blackjack × doubled × outcome

# Which features a game plays decides which compiled loop it runs (see `round_loop`).
MULTI = 0  # seats after our first spot: our other spots, other players
COUNTED = 1  # the count changes plays: index plays or insurance
EXTRAS = 2  # back-counting, trips, an ace side count, a continuous shuffler, early surrender,
# no hole card: read from the parameters (without them each takes its plain value)


def features(prm: np.ndarray, bet_by_tc: np.ndarray) -> tuple[int, int, int]:
    """The feature set of a game: (multi, counted, extras), each 0 or 1."""
    n_tc = 2 * int(prm[P_TC_MAX]) + 1
    multi = int(prm[P_OTHERS] > 0 or bet_by_tc[n_tc:].max() > 1)
    counted = int(prm[P_HAS_INDEX] == 1 or (prm[P_INS_ON] == 1 and prm[P_INS_OFFERED] == 1))
    extras = int(
        prm[P_WONG_IN_ON] == 1
        or prm[P_WONG_OUT_ON] == 1
        or prm[P_TRIP_ON] == 1
        or prm[P_ASC] == 1
        or prm[P_CONTINUOUS] == 1
        or prm[P_SURRENDER] == 2
        or prm[P_PEEK] == 0
    )
    return multi, counted, extras


_loops: dict[tuple[int, int, int], Any] = {}


def round_loop(key: tuple[int, int, int]) -> Any:
    """The round loop compiled for one feature set: a flat game's loop holds only what it plays.

    Each variant is a closure over its three flags, which numba freezes in as constants, so the
    code of the features a game lacks is not compiled at all; each is cached on disk on its own
    (numba's cache key includes a closure's values) and compiled only when a game first needs
    it. The body is one source for every variant, so the reference tests cover them all.
    """
    loop = _loops.get(key)
    if loop is None:
        loop = _loops[key] = _make_loop(*key)
    return loop


def simulate_chunk(
    shoe: np.ndarray, rng: np.ndarray, ss: np.ndarray, prm: np.ndarray, dec: np.ndarray,
    pairs: np.ndarray, dev_first: np.ndarray, pair_first: np.ndarray, devs: np.ndarray,
    bet_by_tc: np.ndarray, tc_den: np.ndarray, tc_inv: np.ndarray, n_rounds: int,
    counters: np.ndarray, by_tc: np.ndarray, trace: np.ndarray,
) -> None:  # fmt: skip
    """Play ``n_rounds`` rounds, continuing from the shoe/RNG state, adding to the counters.

    Picks the compiled loop of the game's feature set; the arrays are passed once per chunk.
    """
    round_loop(features(prm, bet_by_tc))(
        shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs, bet_by_tc, tc_den, tc_inv,
        n_rounds, counters, by_tc, trace,
    )  # fmt: skip


def _make_loop(multi: int, counted: int, extras: int) -> Any:
    IS_MULTI = multi == 1
    IS_COUNTED = counted == 1
    IS_EXTRAS = extras == 1

    @njit(cache=True)
    def loop(
        shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs, bet_by_tc, tc_den, tc_inv,
        n_rounds, counters, by_tc, trace,
    ):  # fmt: skip
        n = prm[P_NCARDS]
        cut = prm[P_CUT]
        h17 = prm[P_H17]
        takes_all = prm[P_TAKES_ALL]
        bj_win = prm[P_BJ_WIN]
        scale = prm[P_SCALE]
        half = scale // 2
        max_hands = prm[P_MAX_HANDS]
        surrender = prm[P_SURRENDER]
        ins_offered = prm[P_INS_OFFERED]
        ins_on = prm[P_INS_ON]
        ins_tc = prm[P_INS_TC]
        others = prm[P_OTHERS] if IS_MULTI else 0
        tc_max = prm[P_TC_MAX]
        irc = prm[P_IRC]
        tracing = prm[P_TRACE]
        tc_mul = prm[P_TC_MUL]
        has_index = prm[P_HAS_INDEX] if IS_COUNTED else 0
        if IS_EXTRAS:
            continuous = prm[P_CONTINUOUS]
            peek = prm[P_PEEK]
            wong_in_on = prm[P_WONG_IN_ON]
            wong_out_on = prm[P_WONG_OUT_ON]
            trip_on = prm[P_TRIP_ON]
            asc = prm[P_ASC]
            playing = ss[S_PLAYING]
        else:
            continuous = 0
            peek = 1
            wong_in_on = 0
            wong_out_on = 0
            trip_on = 0
            asc = 0
            playing = 1
        wong_in = prm[P_WONG_IN]
        wong_out = prm[P_WONG_OUT]
        trip_bankroll = prm[P_TRIP_BANKROLL]
        trip_rounds = prm[P_TRIP_ROUNDS]
        trip_bank = ss[S_TRIP_BANK]
        trip_len = ss[S_TRIP_LEN]
        n_trips = 0
        n_ruined = 0
        n_out = 0
        tc_rounding = prm[P_TC_ROUNDING]
        tc_tab, tc_a = _tc_tables(shoe, irc, prm[P_ASC], tc_mul, tc_den, tc_rounding)
        tc_num = tc_mul * tc_a
        block = prm[P_BLOCK]
        n_tc = 2 * tc_max + 1  # bet_by_tc holds the bets, then the spots, per true count
        deal_one = 2 * (others + 1) + 1 + peek  # cards of the initial deal with one spot
        lookahead_one = max(prm[P_LOOKAHEAD], deal_one)

        # counters live in registers during the chunk and are written back at the end
        n_hands = 0
        n_initial = 0
        n_wagered = 0
        s_net = 0
        s_net2 = 0
        s_bet2 = 0
        s_net_bet = 0
        n_bj = 0
        n_win = 0
        n_push = 0
        n_loss = 0
        n_surr = 0
        n_bust = 0
        n_double = 0
        n_split = 0
        n_ins = 0
        n_dbj = 0
        pos, ready, rc, round_start, shuffles = _load(ss)

        h = np.empty(H_STRIDE, np.int64)  # our (first) spot's final hands, after a split
        o = np.empty(H_STRIDE, np.int64)  # another player's
        # the seats after our first spot: our other spots first, then the other players
        o_c1 = np.empty(others + MAX_SPOTS, np.int64)
        o_c2 = np.empty(others + MAX_SPOTS, np.int64)
        xs = np.zeros((MAX_SPOTS - 1) * X_STRIDE, np.int64)  # our second and third spots
        dv = 0
        # the one-hand round's outcomes: what each pays per unit bet (times the multiplier),
        # and how many there were
        money = np.zeros(N_OUTCOMES, np.int64)
        money[O_SURRENDER] = -half
        money[O_BLACKJACK] = bj_win
        money[O_LOSS] = -scale
        money[O_BUST] = -scale
        money[O_WIN] = scale
        outcomes = np.zeros(N_OUTCOMES, np.int64)
        # the common rounds (one hand, no insurance, no other spot), counted by true count and
        # class: (dealer blackjack, doubled, outcome)
        hist = np.zeros(n_tc * N_CLASSES, np.int64)

        for r in range(n_rounds):
            # ---- shuffle, count and bet: all before the round's first card
            if continuous == 1 or pos >= cut:
                pos = 0
                ready = 0
                rc = irc
                shuffles += 1
                playing = 1 - wong_in_on  # a new shoe: play it, or watch for the count to rise
            # the true count (docs/config.md), exactly: tc_den[_u(remaining)] is the divisor for the
            # cards left (decks estimated per the config, times the tag denominator)
            remaining = n - pos
            rc_bet = rc
            if asc == 1:
                rc_bet = (rc + ASC_HALF) >> ASC_SHIFT  # the ace-adjusted count, times 13
            left = _u(remaining)
            tc = _tc_fast(rc_bet * tc_num, left, tc_tab, tc_rounding)
            if tc > tc_max:
                tc = tc_max
            elif tc < -tc_max:
                tc = -tc_max
            tci = tc + tc_max
            # back-counting: leave below the exit count, come in at the entry count
            if wong_out_on == 1 and playing == 1 and tc < wong_out:
                playing = 0
            elif wong_in_on == 1 and playing == 0 and tc >= wong_in:
                playing = 1
            # while watching, the seat is played by a basic-strategy player whose results are
            # not recorded, so the shoe is used as if someone played it
            bet = bet_by_tc[_u(tci)] if playing == 1 else 1
            idx_on = has_index * playing
            # spots by count: our extra spots sit right after the first, before the others
            extra = 0
            seats = 0
            deal = deal_one
            lookahead = lookahead_one
            if IS_MULTI:
                extra = bet_by_tc[n_tc + tci] - 1 if playing == 1 else 0
                seats = others + extra
                deal = deal_one + 2 * extra
                lookahead = lookahead_one if extra == 0 else max(lookahead_one, deal)

            # ---- the deal
            round_start = pos
            if pos + lookahead > ready:
                # shuffle ahead the deal's cards and most rounds' draws, in one call
                pos, ready, rc, round_start, shuffles = _shuffle_ahead(
                    shoe, rng, n, block, irc, max(deal, min(lookahead, n - pos)),
                    pos, ready, rc, round_start, shuffles,
                )  # fmt: skip
            # every dealt card joins the running count as it is dealt (read before next round)
            c = shoe[_u(pos)]
            rc += c >> 4
            p1 = c & 15
            pos += 1
            if IS_MULTI:
                for s in range(seats):
                    c = shoe[_u(pos)]
                    pos += 1
                    rc += c >> 4
                    o_c1[s] = c & 15
            c = shoe[_u(pos)]
            rc += c >> 4
            up = c & 15
            c = shoe[_u(pos + 1)]
            rc += c >> 4
            p2 = c & 15
            pos += 2
            if IS_MULTI:
                for s in range(seats):
                    c = shoe[_u(pos)]
                    pos += 1
                    rc += c >> 4
                    o_c2[s] = c & 15
            hole = 0
            hole_tag = 0
            if peek == 1:
                c = shoe[_u(pos)]
                pos += 1
                hole_tag = c >> 4
                rc += hole_tag
                hole = c & 15
            # the count index plays and insurance read: the cards face up on the table, so
            # every card dealt but the hole card (which stays unknown, in the cards remaining)
            tc_play = tc
            if IS_COUNTED and (idx_on == 1 or (ins_on == 1 and playing == 1)):
                unseen = n - pos + peek
                rc_play = rc - hole_tag
                if asc == 1:
                    rc_play = _split_count(rc_play)[1]  # index plays: the ace-neutral count
                tc_play = _tc_fast(rc_play * tc_num, _u(unseen), tc_tab, tc_rounding)

            net = 0
            nh = 1
            insured = 0
            dealer_bj = 0
            pbj = (p1 + p2 == 11) and (p1 == 1 or p2 == 1)
            total = p1 + p2
            ace = p1 == 1 or p2 == 1
            # our first spot's hand while it is one hand (the common round): value, bet
            # multiplier, flag; a split moves it to the array ``h``
            hv = total
            hm = 1
            hf = F_STAND
            oc = O_PUSH  # its outcome (O_*), once settled

            # ---- insurance / even money (decided before the peek)
            if (
                IS_COUNTED
                and up == 1
                and ins_offered == 1
                and ins_on == 1
                and playing == 1
                and tc_play >= ins_tc
            ):
                insured = 1

            # ---- early surrender: before the dealer checks
            early_out = False
            if IS_EXTRAS and surrender == 2 and not pbj:
                early_out = _early_surrender(
                    p1, p2, up, max_hands, dec, pairs, dev_first, pair_first, devs, idx_on,
                    tc_play,
                )  # fmt: skip

            spots_live = 0
            if peek == 1 and up + hole == 11 and (up == 1 or up == 10):
                # ---- dealer blackjack, found by the peek: the round is over
                dealer_bj = 1
                if early_out:
                    oc = O_SURRENDER
                elif pbj:
                    oc = O_PUSH
                else:
                    oc = O_LOSS
                net = bet * money[_u(oc)]
                if insured == 1:
                    net += bet * scale * (extra + 1)
                if IS_MULTI and extra > 0:  # our other spots: naturals and early surrenders only
                    _play_spots(
                        shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs,
                        tc_play, idx_on, up, extra, o_c1, o_c2, xs, 0,
                    )  # fmt: skip
            else:
                if insured == 1 and peek == 1:
                    net -= bet * half * (extra + 1)
                if early_out:
                    hf = F_SURRENDER
                elif pbj:
                    hv = 21
                else:
                    # ---- the player's hand: common path inline, splits in _play_seat
                    split_now = False
                    late_out = False
                    if p1 == p2 and max_hands > 1:
                        pa = pairs[_u(_pi(CTX_FIRST, p1, up))]
                        if IS_COUNTED and idx_on == 1 and pair_first[_pi(CTX_FIRST, p1, up)] >= 0:
                            pa = _index_play(pa, pair_first[_pi(CTX_FIRST, p1, up)], tc_play, devs)
                        if pa == PAIR_SPLIT:
                            split_now = True
                        elif pa == PAIR_SURRENDER and surrender == 1:
                            late_out = True
                    if split_now:
                        _store(ss, pos, ready, rc, round_start, shuffles)
                        nh = _play_seat(
                            shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs,
                            tc_play, idx_on, up, p1, p2, h, 0,
                        )  # fmt: skip
                        pos, ready, rc, round_start, shuffles = _load(ss)
                        if nh == 1:  # nothing split after all: back to the one hand
                            hv = h[0]
                            hm = h[H_MULT]
                            hf = h[H_FLAG]
                    elif late_out:
                        hf = F_SURRENDER
                    else:
                        ncards = 2
                        while True:
                            soft = 1 if (ace and total <= 11) else 0
                            value = total + 10 * soft
                            if value >= 21:
                                break
                            cell = _di(CTX_FIRST if ncards == 2 else CTX_LATER, soft, value, up)
                            act = dec[_u(cell)]
                            if IS_COUNTED and idx_on == 1 and dev_first[_u(cell)] >= 0:
                                act = _index_play(act, dev_first[_u(cell)], tc_play, devs)
                            if act == A_STAND:
                                break
                            if act == A_SURRENDER:
                                hf = F_SURRENDER
                                break
                            if pos >= ready:
                                (pos, ready, rc, round_start, shuffles) = (
                                    _shuffle_ahead(
                                        shoe, rng, n, block, irc, 1,
                                        pos, ready, rc, round_start, shuffles,
                                    )
                                )  # fmt: skip
                            c = shoe[_u(pos)]
                            pos += 1
                            rc += c >> 4
                            c &= 15
                            total += c
                            ncards += 1
                            if c == 1:
                                ace = True
                            if act == A_DOUBLE:
                                hm = 2
                                break
                            if total > 21:
                                break
                        if total > 21:
                            hf = F_BUST
                        hv = total + 10 if (ace and total <= 11) else total

                # ---- our other spots, then the other players, in seat order: a hand that
                # plays its total inline (as our first spot's), a pair that splits (or
                # surrenders) in _play_seat; the other players play the chart, no index plays
                others_live = False
                others_total = False
                if IS_MULTI:
                    for s in range(seats):
                        a = o_c1[s]
                        b = o_c2[s]
                        ours = s < extra
                        use_idx = idx_on if ours else 0
                        base = s * X_STRIDE
                        nat = (a + b == 11) and (a == 1 or b == 1)
                        if ours:
                            xs[base + X_NAT] = nat
                            xs[base + X_NH] = 1
                            xs[base] = 21 if nat else a + b
                            xs[base + H_MULT] = 1
                            xs[base + H_FLAG] = F_STAND
                        if nat:
                            others_live = True  # a natural needs the ENHC dealer's card
                            continue
                        if (
                            IS_EXTRAS
                            and ours
                            and surrender == 2
                            and _early_surrender(
                                a, b, up, max_hands, dec, pairs, dev_first, pair_first, devs,
                                use_idx, tc_play,
                            )
                        ):  # fmt: skip
                            xs[base + H_FLAG] = F_SURRENDER  # before the dealer checks
                            continue
                        pa = 0
                        if a == b and max_hands > 1:
                            pa = pairs[_pi(CTX_FIRST, a, up)]
                            if (
                                IS_COUNTED
                                and use_idx == 1
                                and pair_first[_pi(CTX_FIRST, a, up)] >= 0
                            ):
                                pa = _index_play(
                                    pa, pair_first[_pi(CTX_FIRST, a, up)], tc_play, devs
                                )
                        if pa != 0:
                            _store(ss, pos, ready, rc, round_start, shuffles)
                            if ours:
                                on = _play_seat(
                                    shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs,
                                    tc_play, use_idx, up, a, b, xs, base,
                                )  # fmt: skip
                                xs[base + X_NH] = on
                                if on > 1:
                                    spots_live |= 4
                                for k in range(on):
                                    if xs[base + H_FLAG + k] == F_STAND:
                                        others_live = True
                                        others_total = True
                            else:
                                on = _play_seat(
                                    shoe, rng, ss, prm, dec, pairs, dev_first, pair_first, devs,
                                    tc_play, 0, up, a, b, o, 0,
                                )  # fmt: skip
                                for k in range(on):
                                    if o[H_FLAG + k] == F_STAND:
                                        others_live = True
                                        others_total = True
                            pos, ready, rc, round_start, shuffles = _load(ss)
                            continue
                        total_s = a + b
                        ace_s = a == 1 or b == 1
                        ncards = 2
                        mult = 1
                        flag = F_STAND
                        while True:
                            soft = 1 if (ace_s and total_s <= 11) else 0
                            value = total_s + 10 * soft
                            if value >= 21:
                                break
                            cell = _di(CTX_FIRST if ncards == 2 else CTX_LATER, soft, value, up)
                            act = dec[_u(cell)]
                            if IS_COUNTED and use_idx == 1 and dev_first[_u(cell)] >= 0:
                                act = _index_play(act, dev_first[_u(cell)], tc_play, devs)
                            if act == A_STAND:
                                break
                            if act == A_SURRENDER:
                                flag = F_SURRENDER
                                break
                            if pos >= ready:
                                (pos, ready, rc, round_start, shuffles) = (
                                    _shuffle_ahead(
                                        shoe, rng, n, block, irc, 1,
                                        pos, ready, rc, round_start, shuffles,
                                    )
                                )  # fmt: skip
                            c = shoe[_u(pos)]
                            pos += 1
                            rc += c >> 4
                            c &= 15
                            total_s += c
                            ncards += 1
                            if c == 1:
                                ace_s = True
                            if act == A_DOUBLE:
                                mult = 2
                                break
                            if total_s > 21:
                                break
                        if total_s > 21:
                            flag = F_BUST
                        if flag == F_STAND:
                            others_live = True
                            others_total = True
                        if ours:
                            xs[base] = total_s + 10 if (ace_s and total_s <= 11) else total_s
                            xs[base + H_MULT] = mult
                            xs[base + H_FLAG] = flag

                # ---- the dealer
                # live: someone needs the dealer's hand; live_total: someone needs it played
                live = others_live or insured == 1
                live_total = others_total
                if nh == 1:
                    if hf == F_STAND:
                        live = True
                        if not pbj:
                            live_total = True
                else:
                    for k in range(nh):
                        if h[H_FLAG + k] == F_STAND:
                            live = True
                            live_total = True
                dealer_total = up
                dace = up == 1
                dcards = 1
                if peek == 1:
                    dealer_total = up + hole
                    dace = dace or hole == 1
                    dcards = 2
                if live and (peek == 0 or live_total):
                    while True:
                        if dcards >= 2:
                            dv = (
                                dealer_total + 10 if (dace and dealer_total <= 11) else dealer_total
                            )
                            if peek == 0 and dcards == 2 and dv == 21:
                                dealer_bj = 1
                                break
                            if not live_total:
                                break
                            if dv > 17:
                                break
                            if dv == 17 and not (h17 == 1 and dace and dealer_total == 7):
                                break
                        if pos >= ready:
                            (pos, ready, rc, round_start, shuffles) = (
                                _shuffle_ahead(
                                    shoe, rng, n, block, irc, 1,
                                    pos, ready, rc, round_start, shuffles,
                                )
                            )  # fmt: skip
                        c = shoe[_u(pos)]
                        pos += 1
                        rc += c >> 4
                        c &= 15
                        dealer_total += c
                        dcards += 1
                        if c == 1:
                            dace = True
                dv = dealer_total + 10 if (dace and dealer_total <= 11) else dealer_total

                # ---- settlement (a split round settles in _settle_split)
                if dealer_bj == 1:
                    # European no hole card: the dealer's blackjack arrives after the players
                    # acted (a surrender, early or late, is settled when made: half the bet)
                    if insured == 1:
                        net += bet * scale * (extra + 1)
                    if nh == 1:
                        if hf == F_SURRENDER:
                            oc = O_SURRENDER
                            net -= bet * half
                        elif pbj:
                            oc = O_PUSH
                        else:
                            oc = O_BUST if hf == F_BUST else O_LOSS
                            net -= bet * (hm if takes_all == 1 else 1) * scale
                else:
                    if insured == 1 and peek == 0:
                        net -= bet * half * (extra + 1)
                    if nh == 1:
                        # one outcome decides both the money and the tallies
                        if pbj:
                            oc = O_BLACKJACK
                        elif hf == F_SURRENDER:
                            oc = O_SURRENDER
                        elif hf == F_BUST:
                            oc = O_BUST
                        elif dv > 21 or hv > dv:
                            oc = O_WIN
                        elif hv < dv:
                            oc = O_LOSS
                        else:
                            oc = O_PUSH
                        net += bet * hm * money[_u(oc)]

            if playing == 0:
                n_out += 1
                net = 0
            elif nh == 1 and extra == 0 and insured == 0 and (peek == 1 or dealer_bj == 0):
                # the common round: one hand, its net ``bet * hm * money[oc]``; counted by
                # class and true count, and every tally follows from those counts at the end
                # of the chunk (one increment here instead of a dozen sums)
                hist[_u(tci * N_CLASSES + (dealer_bj * 2 + hm - 1) * N_OUTCOMES + oc)] += 1
            else:
                # ---- outcome frequencies, per final hand
                if nh == 1:
                    wagered = bet * hm
                    n_double += hm - 1
                    outcomes[_u(oc)] += 1
                else:
                    split_net, wagered = _settle_split(
                        h, nh, bet, scale, takes_all, dealer_bj, dv, counters
                    )
                    net += split_net
                    n_split += 1
                if IS_MULTI and extra > 0:
                    # our other spots settle on their own; the round's bet is every spot's
                    # (written out, not called: a call per round with arrays costs)
                    for j in range(extra):
                        base = j * X_STRIDE
                        snh = xs[base + X_NH]
                        nat = xs[base + X_NAT] == 1
                        if dealer_bj == 1:
                            if xs[base + H_FLAG] == F_SURRENDER and snh == 1:
                                net -= bet * half
                            elif nat:
                                pass
                            elif takes_all == 1:
                                for k in range(snh):
                                    net -= bet * xs[base + H_MULT + k] * scale
                            else:
                                net -= bet * scale
                        elif nat:
                            net += bet * bj_win
                        else:
                            for k in range(snh):
                                f = xs[base + H_FLAG + k]
                                stake = bet * xs[base + H_MULT + k] * scale
                                if f == F_SURRENDER:
                                    net -= bet * half
                                elif f == F_BUST:
                                    net -= stake
                                elif dv > 21 or xs[base + k] > dv:
                                    net += stake
                                elif xs[base + k] < dv:
                                    net -= stake
                        # outcomes per final hand, as for the first spot
                        n_hands += snh
                        for k in range(snh):
                            f = xs[base + H_FLAG + k]
                            wagered += bet * xs[base + H_MULT + k]
                            if xs[base + H_MULT + k] == 2:
                                n_double += 1
                            if f == F_SURRENDER:
                                n_surr += 1
                            elif nat and dealer_bj == 0:
                                n_bj += 1
                            elif dealer_bj == 1:
                                if nat:
                                    n_push += 1
                                else:
                                    n_loss += 1
                                    if f == F_BUST:
                                        n_bust += 1
                            elif f == F_BUST:
                                n_loss += 1
                                n_bust += 1
                            elif dv > 21 or xs[base + k] > dv:
                                n_win += 1
                            elif xs[base + k] < dv:
                                n_loss += 1
                            else:
                                n_push += 1
                    if spots_live >= 4 and nh == 1:
                        n_split += 1
                    bet *= extra + 1
                n_hands += nh
                n_initial += bet
                n_wagered += wagered
                s_net += net
                s_net2 += net * net
                s_bet2 += bet * bet
                s_net_bet += net * bet
                n_ins += insured
                n_dbj += dealer_bj
                row = tci * N_TC_COLS
                by_tc[_u(row + T_ROUNDS)] += 1
                by_tc[_u(row + T_NET)] += net
                by_tc[_u(row + T_NET2)] += net * net
                by_tc[_u(row + T_BET)] += bet
            if trip_on == 1 and playing != 0:
                # a trip ends in ruin (the bankroll is gone) or after its rounds played
                trip_bank += net
                trip_len += 1
                if trip_bank <= 0 or trip_len == trip_rounds:
                    n_trips += 1
                    n_ruined += trip_bank <= 0
                    trip_bank = trip_bankroll
                    trip_len = 0
            if tracing == 1:
                trace[r] = net

        # the common rounds' tallies, from their counts by true count and class
        for t in range(n_tc):
            row = t * N_CLASSES
            bet = bet_by_tc[t]
            for cls in range(N_CLASSES):
                cnt = hist[row + cls]
                if cnt == 0:
                    continue
                oc = cls % N_OUTCOMES
                hm = (cls // N_OUTCOMES) % 2 + 1
                net = bet * hm * money[oc]
                outcomes[oc] += cnt
                n_double += cnt * (hm - 1)
                n_dbj += cnt * (cls // (2 * N_OUTCOMES))
                n_hands += cnt
                n_initial += cnt * bet
                n_wagered += cnt * bet * hm
                s_net += cnt * net
                s_net2 += cnt * net * net
                s_bet2 += cnt * bet * bet
                s_net_bet += cnt * net * bet
                by_tc[t * N_TC_COLS + T_ROUNDS] += cnt
                by_tc[t * N_TC_COLS + T_NET] += cnt * net
                by_tc[t * N_TC_COLS + T_NET2] += cnt * net * net
                by_tc[t * N_TC_COLS + T_BET] += cnt * bet
        _store(ss, pos, ready, rc, round_start, shuffles)
        ss[S_PLAYING] = playing
        ss[S_TRIP_BANK] = trip_bank
        ss[S_TRIP_LEN] = trip_len
        counters[C_TRIPS] += n_trips
        counters[C_TRIPS_RUINED] += n_ruined
        counters[C_ROUNDS] += n_rounds - n_out
        counters[C_OBSERVED] += n_rounds
        counters[C_HANDS] += n_hands
        counters[C_INITIAL_BET] += n_initial
        counters[C_WAGERED] += n_wagered
        counters[C_NET] += s_net
        counters[C_NET2] += s_net2
        counters[C_BET2] += s_bet2
        counters[C_NET_BET] += s_net_bet
        counters[C_BLACKJACK] += n_bj + outcomes[O_BLACKJACK]
        counters[C_WIN] += n_win + outcomes[O_WIN]
        counters[C_PUSH] += n_push + outcomes[O_PUSH]
        counters[C_LOSS] += n_loss + outcomes[O_LOSS] + outcomes[O_BUST]
        counters[C_SURRENDER] += n_surr + outcomes[O_SURRENDER]
        counters[C_BUST] += n_bust + outcomes[O_BUST]
        counters[C_DOUBLE] += n_double
        counters[C_SPLIT_ROUNDS] += n_split
        counters[C_INSURANCE] += n_ins
        counters[C_DEALER_BJ] += n_dbj
        counters[C_SHUFFLES] = shuffles

    return loop
