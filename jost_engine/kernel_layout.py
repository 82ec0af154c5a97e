"""The kernel's array layout: which slot of each int64 vector means what, and its codes.

numba-free on purpose: the modules that prepare the kernel's arrays or read its counters
(`table`, `shards`, `result`, `strategy`, `index_plays`, `reference`, the analyzer) need these
numbers, not the compiled loop, so they import this and never `jost_engine._kernel` for them.
`_kernel` imports the same names; numba freezes them into the compiled code as constants.
"""

# --- parameter vector layout (int64) -------------------------------------------------------
P_NCARDS = 0  # cards in the shoe
P_CUT = 1  # reshuffle before a round once this many cards are dealt
P_CONTINUOUS = 2  # 1: every round from a full, freshly shuffled shoe
P_H17 = 3
P_PEEK = 4  # 1: dealer checks for blackjack; 0: European no hole card
P_TAKES_ALL = 5  # ENHC dealer blackjack takes doubles and splits too
P_BJ_WIN = 6  # blackjack win per unit bet, in SCALE units (1.5 * SCALE for 3:2)
P_SCALE = 7
P_MAX_HANDS = 8
P_RSA = 9
P_HSA = 10
P_SURRENDER = 11  # 0 none, 1 late, 2 early
P_INS_OFFERED = 12
P_INS_ON = 13  # 1: take insurance (and even money) when true count >= P_INS_TC
P_INS_TC = 14
P_OTHERS = 15  # other players at the table (seats after ours)
P_TC_ROUNDING = 16  # 0 floor, 1 truncate, 2 nearest
# 17-19: unused (the true count's divisors come as the tc_den / tc_inv arrays)
P_TC_MAX = 20  # true counts are clipped to [-TC_MAX, TC_MAX] for the tables
P_BLOCK = 21  # lazy-shuffle block size
P_TRACE = 22  # 1: record each round's net result in the trace array
P_IRC = 23  # initial running count after a shuffle (times TAG_DEN)
P_LOOKAHEAD = 24  # cards made ready before each round, so the deal needs no checks
P_TC_MUL = 25  # true count = floor(running count * TC_MUL / tc_den[cards remaining])
P_HAS_INDEX = 26  # 1: index plays are in force (see jost_engine.index_plays)
P_WONG_IN_ON = 27  # back-counting: start playing when the true count >= P_WONG_IN
P_WONG_IN = 28
P_WONG_OUT_ON = 29  # leave when the true count < P_WONG_OUT
P_WONG_OUT = 30
P_TRIP_ON = 31  # 1: follow bankroll trips (risk of ruin measured, not only computed)
P_TRIP_BANKROLL = 32  # the bankroll each trip starts with, in SCALE units
P_TRIP_ROUNDS = 33  # rounds played per trip
P_ASC = 34  # 1: an ace side count adjusts the betting count (tags packed, see ASC_SHIFT)
N_PARAMS = 35

# With an ace side count each card's tag carries two counts in one integer, so dealing a card
# stays one addition: the playing tag in the low ASC_SHIFT bits (signed) and, above them, the
# betting tag times 13 (jost_engine.table.ace_side_count_tags). The running count splits the
# same way; both parts are read at most twice a round.
ASC_SHIFT = 24
ASC_HALF = 1 << (ASC_SHIFT - 1)

# --- shoe state vector (int64): shared with the rare-path functions -------------------------
S_POS = 0  # next card to deal
S_READY = 1  # end of the shuffled prefix
S_RC = 2  # running count of every card dealt since the shuffle (times TAG_DEN)
S_ROUND_START = 3  # first card of the round in play
S_SHUFFLES = 4
S_PLAYING = 5  # 1 while the player has a bet out (0 while wonged out: watching)
S_TRIP_BANK = 6  # the current trip's bankroll (SCALE units)
S_TRIP_LEN = 7  # rounds played in the current trip
N_SHOE_STATE = 8

# --- resolved actions in the decision tables ----------------------------------------------
A_HIT = 0
A_STAND = 1
A_DOUBLE = 2
A_SURRENDER = 3
# pair table: 0 play the total, 1 split, 2 surrender
PAIR_SPLIT = 1
PAIR_SURRENDER = 2
# decision contexts
CTX_FIRST = 0  # the round's first two cards
CTX_SPLIT = 1  # two cards after a split
CTX_LATER = 2  # three or more cards

# --- counters (int64) ----------------------------------------------------------------------
C_ROUNDS = 0
C_HANDS = 1
C_INITIAL_BET = 2  # units
C_WAGERED = 3  # units, doubles and splits included, insurance excluded
C_NET = 4  # SCALE units
C_NET2 = 5  # SCALE units squared
C_BET2 = 6  # units squared
C_NET_BET = 7  # SCALE units times units
C_BLACKJACK = 8
C_WIN = 9
C_PUSH = 10
C_LOSS = 11
C_SURRENDER = 12
C_BUST = 13
C_DOUBLE = 14
C_SPLIT_ROUNDS = 15
C_INSURANCE = 16
C_DEALER_BJ = 17
C_SHUFFLES = 18
C_OBSERVED = 19  # rounds dealt, including those watched while wonged out
C_TRIPS = 20  # bankroll trips finished (ruined, or played to their length)
C_TRIPS_RUINED = 21
N_COUNTERS = 22

# per-true-count table columns
T_ROUNDS = 0
T_NET = 1
T_NET2 = 2
T_BET = 3
N_TC_COLS = 4

# hand flags written by _play_seat
F_STAND = 0
F_BUST = 1
F_SURRENDER = 2

MAX_HANDS = 8
MAX_SPOTS = 3
# a seat's final hands in one array: totals, then bet multipliers, then flags (MAX_HANDS each)
H_MULT = MAX_HANDS
H_FLAG = 2 * MAX_HANDS
H_STRIDE = 3 * MAX_HANDS
# our second and third spots: each a seat's hands, then its hand count and natural flag
X_NH = H_STRIDE
X_NAT = H_STRIDE + 1
X_STRIDE = H_STRIDE + 2


def decision_index(ctx: int, soft: int, value: int, up: int) -> int:
    """Index into the flattened decision table ``dec[context, soft, value, up]`` (3×2×22×11)."""
    return ((ctx * 2 + soft) * 22 + value) * 11 + up


def pair_index(ctx: int, card: int, up: int) -> int:
    """Index into the flattened pair table ``pairs[context, card, up]`` (2×11×11)."""
    return (ctx * 11 + card) * 11 + up
