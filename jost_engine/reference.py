"""The same game as the compiled kernel, written plainly in Python, for tests.

Slow (thousands of rounds a second) and meant to be read: objects for hands, one method per
step of a round. It deals the identical card sequence as `jost_engine._kernel` for the same
seed (the same lazy Fisher-Yates shuffle, xoshiro256** and Lemire bound), so tests can require
that both give the same net result, round by round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.config import Config, parse_config
from jost_engine.counting import standard_irc
from jost_engine.shoe import card_tag, card_value, rng_state
from jost_engine.table import GameTables, ace_side_count_weight, prepare

MASK64 = (1 << 64) - 1


def rotl(x: int, r: int) -> int:
    """A 64-bit rotation left."""
    return ((x << r) | (x >> (64 - r))) & MASK64


class Xoshiro256:
    """xoshiro256** on Python integers."""

    def __init__(self, state: np.ndarray) -> None:
        self.s = [int(x) for x in state]

    def next(self) -> int:
        s = self.s
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, m: int) -> int:
        """Uniform integer in [0, m): Lemire's multiply-shift with rejection."""
        while True:
            prod = (self.next() >> 32) * m
            low = prod & 0xFFFFFFFF
            if low >= m or low >= ((1 << 32) - m) % m:
                return prod >> 32


class Shoe:
    """A shoe dealt from a lazily shuffled array, exactly as the kernel deals it."""

    def __init__(
        self, codes: np.ndarray, rng: Xoshiro256, block: int, irc: int, packed: bool = False
    ) -> None:
        self.cards = [int(c) for c in codes]
        self.rng = rng
        self.block = block
        self.irc = irc
        self.packed = packed  # the kernel's codes carry a second (ace-adjusted) tag; ignore it
        self.pos = 0
        self.ready = 0
        self.counted = 0
        self.running_count = irc
        self.aces_seen = 0  # the ace side count: aces, and all cards, counted since the shuffle
        self.cards_seen = 0
        self.round_start = 0

    @property
    def n(self) -> int:
        return len(self.cards)

    def shuffle(self) -> None:
        """A new shoe: nothing dealt, nothing counted (the shuffle itself happens lazily)."""
        self.pos = self.ready = self.counted = 0
        self.running_count = self.irc
        self.aces_seen = self.cards_seen = 0

    def ensure(self, need: int) -> None:
        if self.pos + need > self.n:
            # out of cards mid-round: the discards are reshuffled, this round's cards kept
            in_play = self.cards[self.round_start :]
            self.cards = in_play + self.cards[: self.round_start]
            self.pos = self.ready = self.counted = len(in_play)
            self.running_count = self.irc
            self.aces_seen = self.cards_seen = 0
            self.round_start = 0
        while self.ready < self.pos + need:
            stop = min(self.n, self.ready + self.block)
            for i in range(self.ready, stop):
                j = i + self.rng.below(self.n - i)
                self.cards[i], self.cards[j] = self.cards[j], self.cards[i]
            self.ready = stop

    def draw(self) -> int:
        self.ensure(1)
        code = self.cards[self.pos]
        self.pos += 1
        return card_value(code)

    def tag(self, code: int) -> int:
        """The card's count tag (times the tag denominator)."""
        tag = card_tag(code)
        if self.packed:
            low = tag & ((1 << k.ASC_SHIFT) - 1)
            tag = low - (1 << k.ASC_SHIFT) if low >= 1 << (k.ASC_SHIFT - 1) else low
        return tag

    def count_seen(self) -> int:
        """Add every card dealt since the last look to the running count (and the aces)."""
        for code in self.cards[self.counted : self.pos]:
            self.running_count += self.tag(code)
            self.aces_seen += card_value(code) == 1
            self.cards_seen += 1
        self.counted = self.pos
        return self.running_count


@dataclass
class Hand:
    cards: list[int]
    bet_multiplier: int = 1
    from_split: bool = False
    surrendered: bool = False

    @property
    def hard_total(self) -> int:
        return sum(self.cards)

    @property
    def soft(self) -> bool:
        return 1 in self.cards and self.hard_total <= 11

    @property
    def value(self) -> int:
        return self.hard_total + 10 if self.soft else self.hard_total

    @property
    def busted(self) -> bool:
        return self.hard_total > 21

    @property
    def natural(self) -> bool:
        return len(self.cards) == 2 and self.value == 21 and not self.from_split


class ReferenceGame:
    """Plays rounds one at a time; ``play_round()`` returns the net result in scale units."""

    def __init__(self, config: Config | dict[str, Any], stream: int = 0) -> None:
        self.config = parse_config(config)
        self.t: GameTables = prepare(self.config)
        p = self.t.params
        self.p = {name: int(p[getattr(k, name)]) for name in dir(k) if name.startswith("P_")}
        rng = Xoshiro256(rng_state(self.config.simulation.seed, stream))
        counting = self.config.counting
        irc = counting.initial_running_count
        if irc is None:
            irc = standard_irc(self.t.tags.name, self.config.rules.decks)
        self.asc = counting.ace_side_count
        self.shoe = Shoe(
            self.t.shoe, rng, self.p["P_BLOCK"], round(irc * self.t.tags.denominator), self.asc
        )
        self.rules = self.config.rules
        self.tc_play = 0
        self.rounds_played = 0
        self.initial_bet = 0  # units bet on every spot at the start of the rounds played
        self.round_bet = 0
        self.playing = not p[k.P_WONG_IN_ON]

    # ---- decisions ------------------------------------------------------------------------
    def action(self, hand: Hand, up: int, ours: bool | None = None) -> int:
        """The play: the chart's, with our index plays while we have a bet out."""
        ours = self.playing if ours is None else ours
        if len(hand.cards) == 2:
            ctx = k.CTX_SPLIT if hand.from_split else k.CTX_FIRST
        else:
            ctx = k.CTX_LATER
        cell = (ctx, 1 if hand.soft else 0, hand.value, up)
        play = int(self.t.dec[cell])
        if not ours:
            return play  # the other seats play basic strategy
        return self.index_play(play, int(self.t.index.dev_first.reshape(self.t.dec.shape)[cell]))

    def pair_action(self, hand: Hand, up: int, ours: bool | None = None) -> int:
        ours = self.playing if ours is None else ours
        ctx = k.CTX_SPLIT if hand.from_split else k.CTX_FIRST
        cell = (ctx, hand.cards[0], up)
        play = int(self.t.pairs[cell])
        if not ours:
            return play
        return self.index_play(play, int(self.t.index.pair_first.reshape(self.t.pairs.shape)[cell]))

    def index_play(self, play: int, index: int) -> int:
        """Walk a cell's index plays at the playing count (the chart's play if none fires)."""
        devs = self.t.index.devs.reshape(-1, 4)
        while index >= 0:
            threshold, above, below, following = (int(x) for x in devs[index])
            chosen = above if self.tc_play >= threshold else below
            if chosen >= 0:
                return chosen
            index = following
        return play

    def may_split(self, hand: Hand, n_hands: int) -> bool:
        if len(hand.cards) != 2 or hand.cards[0] != hand.cards[1]:
            return False
        if n_hands >= self.rules.max_split_hands:
            return False
        return hand.cards[0] != 1 or not hand.from_split or self.rules.resplit_aces

    def betting_count(self, rc: int) -> tuple[int, int]:
        """(count, scale) the bet reads: the running count, or with an ace side count
        13 × (rc + weight × (cards seen / 13 − aces seen)) and scale 13 (from a full shoe,
        cards seen / 13 − aces seen = aces remaining − cards remaining / 13)."""
        if not self.asc:
            return rc, 1
        weight = ace_side_count_weight(self.t.tags)
        return 13 * rc + weight * (self.shoe.cards_seen - 13 * self.shoe.aces_seen), 13

    def true_count(self, rc: int, remaining: int, scale: int = 1) -> int:
        """rc / (scale × decks remaining), estimated and rounded per the config."""
        den = self.t.tags.denominator * scale
        if not self.t.tags.balanced:
            num, d = rc, den
        elif self.config.counting.true_count.deck_estimation == "exact":
            num, d = rc * 52, remaining * den
        elif self.config.counting.true_count.deck_estimation == "half_deck":
            num, d = rc * 2, max((remaining + 13) // 26, 1) * den
        else:
            num, d = rc, max((remaining + 26) // 52, 1) * den
        rounding = self.config.counting.true_count.rounding
        if rounding == "floor":
            return num // d
        if rounding == "truncate":
            return num // d if num >= 0 else -((-num) // d)
        return (2 * num + d) // (2 * d)

    # ---- a seat's play ----------------------------------------------------------------------
    def play_seat(self, first: Hand, up: int, ours: bool | None = None) -> list[Hand]:
        """Play a hand and every hand split from it, in casino order."""
        hands = [first]
        i = 0
        while i < len(hands):
            hand = hands[i]
            if len(hand.cards) == 1:
                hand.cards.append(self.shoe.draw())
            while True:
                if self.may_split(hand, len(hands)):
                    pa = self.pair_action(hand, up, ours)
                    if pa == k.PAIR_SPLIT:
                        card = hand.cards[0]
                        hands.append(Hand([card], from_split=True))
                        hand.cards = [card, self.shoe.draw()]
                        hand.from_split = True
                        continue
                    if pa == k.PAIR_SURRENDER:
                        hand.surrendered = True
                        break
                if hand.from_split and hand.cards[0] == 1 and not self.rules.hit_split_aces:
                    break
                if hand.value >= 21:
                    break
                act = self.action(hand, up, ours)
                if act == k.A_STAND:
                    break
                if act == k.A_SURRENDER:
                    hand.surrendered = True
                    break
                hand.cards.append(self.shoe.draw())
                if act == k.A_DOUBLE:
                    hand.bet_multiplier = 2
                    break
                if hand.busted:
                    break
            i += 1
        return hands

    # ---- a round ----------------------------------------------------------------------------
    def play_round(self) -> int:
        """One round; its net result in scale units (0 for a round watched, not played)."""
        net = self._round()
        self.rounds_played += self.playing
        self.initial_bet += self.round_bet if self.playing else 0
        return net if self.playing else 0

    def _round(self) -> int:
        p = self.p
        shoe = self.shoe
        if p["P_CONTINUOUS"] or shoe.pos >= p["P_CUT"]:
            shoe.shuffle()
            self.playing = not p["P_WONG_IN_ON"]
        shoe.count_seen()
        rc, scale13 = self.betting_count(shoe.running_count)
        tc = self.true_count(rc, shoe.n - shoe.pos, scale13)
        tc = max(-p["P_TC_MAX"], min(p["P_TC_MAX"], tc))
        if p["P_WONG_OUT_ON"] and self.playing and tc < p["P_WONG_OUT"]:
            self.playing = False
        elif p["P_WONG_IN_ON"] and not self.playing and tc >= p["P_WONG_IN"]:
            self.playing = True
        # watching: a basic-strategy stand-in plays one seat, flat, results not recorded
        bet, n_spots = self.t.bet_and_spots(tc) if self.playing else (1, 1)
        self.round_bet = bet * n_spots
        scale = p["P_SCALE"]
        half = scale // 2
        others = p["P_OTHERS"]
        peek = bool(p["P_PEEK"])

        shoe.round_start = shoe.pos
        deal = 2 * (others + n_spots) + 1 + peek
        if shoe.pos + max(p["P_LOOKAHEAD"], deal) > shoe.ready:
            shoe.ensure(max(deal, min(max(p["P_LOOKAHEAD"], deal), shoe.n - shoe.pos)))
        # our spots sit first (seat order), then the other players
        spots = [Hand([shoe.draw()]) for _ in range(n_spots)]
        seats = [Hand([shoe.draw()]) for _ in range(others)]
        up = shoe.draw()
        for hand in spots + seats:
            hand.cards.append(shoe.draw())
        dealer = [up, shoe.draw()] if peek else [up]
        # the playing count: every card face up (the hole card is unseen)
        seen = shoe.count_seen()
        if peek:
            seen -= shoe.tag(shoe.cards[shoe.pos - 1])
        self.tc_play = self.true_count(seen, shoe.n - shoe.pos + peek)

        insured = (
            up == 1
            and self.rules.insurance_offered
            and p["P_INS_ON"] == 1
            and self.playing
            and self.tc_play >= p["P_INS_TC"]
        )
        insurance = bet * n_spots if insured else 0  # every spot is insured alike
        for hand in spots:
            if p["P_SURRENDER"] == 2 and not hand.natural and self._wants_surrender(hand, up):
                hand.surrendered = True  # early: before the dealer looks

        if peek and Hand(dealer).natural:
            net = insurance * scale
            for hand in spots:
                if hand.surrendered:
                    net -= bet * half
                elif not hand.natural:
                    net -= bet * scale
            return net

        net = -insurance * half if peek else 0
        played = [self._play_spot(hand, up) for hand in spots]

        others_live = others_total = False
        for seat in seats:
            if seat.natural:
                others_live = True
                continue
            for hand in self.play_seat(seat, up, ours=False):
                if not hand.busted and not hand.surrendered:
                    others_live = others_total = True

        live, live_total = others_live or insured, others_total
        for first, hands in zip(spots, played, strict=True):
            if any(not h.busted and not h.surrendered for h in hands):
                live = True
                live_total = live_total or not first.natural
        dealer_bj = False
        if live and (not peek or live_total):
            while True:
                if len(dealer) >= 2:
                    hand = Hand(dealer)
                    if len(dealer) == 2 and hand.value == 21:
                        dealer_bj = True
                        break
                    if not live_total or hand.value > 17:
                        break
                    if hand.value == 17 and not (self.rules.dealer_hits_soft_17 and hand.soft):
                        break
                dealer.append(shoe.draw())
        dealer_value = Hand(dealer).value

        if dealer_bj:  # only possible without a peek: the European no-hole-card game
            net += insurance * scale
        elif not peek:
            net -= insurance * half
        for first, hands in zip(spots, played, strict=True):
            net += self._settle_spot(first, hands, bet, dealer_bj, dealer_value)
        return net

    def _play_spot(self, hand: Hand, up: int) -> list[Hand]:
        """One of our spots after the peek: a natural or a surrender stands as it is."""
        if hand.surrendered or hand.natural:
            return [hand]
        if self.may_split(hand, 1) and self.pair_action(hand, up) != 0:
            pa = self.pair_action(hand, up)
            if pa == k.PAIR_SURRENDER and self.p["P_SURRENDER"] == 1:
                hand.surrendered = True
                return [hand]
        return self.play_seat(hand, up)

    def _settle_spot(
        self, first: Hand, hands: list[Hand], bet: int, dealer_bj: bool, dealer_value: int
    ) -> int:
        """One spot's net result (insurance apart) once the dealer's hand is known."""
        scale = self.p["P_SCALE"]
        half = scale // 2
        if dealer_bj:
            if first.surrendered and len(hands) == 1:
                return -bet * half
            if first.natural:
                return 0
            if self.rules.dealer_blackjack_takes == "all_bets":
                return -sum(bet * h.bet_multiplier * scale for h in hands)
            return -bet * scale
        if first.natural:
            return bet * self.p["P_BJ_WIN"]
        net = 0
        for hand in hands:
            stake = bet * hand.bet_multiplier * scale
            if hand.surrendered:
                net -= bet * half
            elif hand.busted:
                net -= stake
            elif dealer_value > 21 or hand.value > dealer_value:
                net += stake
            elif hand.value < dealer_value:
                net -= stake
        return net

    def _wants_surrender(self, hand: Hand, up: int) -> bool:
        if self.rules.max_split_hands > 1 and hand.cards[0] == hand.cards[1]:
            pa = self.pair_action(hand, up)
            if pa != 0:
                return pa == k.PAIR_SURRENDER
        return self.action(hand, up) == k.A_SURRENDER
