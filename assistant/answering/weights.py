"""The thresholds that decide between answering and abstaining, in one place.

Each was chosen on the tuning sets (evals/questions.jsonl, evals/holdout.jsonl, evals/dev.jsonl)
and probes of nonsense input, never on the blind set (evals/blind.jsonl). Layout sizes (how many
lines an outline shows) live with their composers; these are the ones that change what is said.
"""

# A sentence answers a question when it covers this idf-weighted share of the question's subject
# terms (a term in the paragraph's lead counts 0.8, in the title path 0.5).
MIN_COVERAGE = 0.55
# A run of the question's subject words that the plan writes in at most this many sentences names
# one thing: a figure or time asked of it is answered from its sentences even when the question's
# everyday words keep their coverage low (see Extractor._anchored).
RARE_TERM = 3
# Below this share an abstention points to no section at all (the question shares nothing with it).
NEAR_COVERAGE = 0.3

# An open question ("怎么解决", "有什么支持") is answered from a paragraph only with evidence:
# it shares this idf-weighted share of the question's subject terms (an everyday word counts when
# one of its plan terms is there) ...
MIN_SHARE = 0.25
# ... or it stands out in meaning: this many standard deviations above the mean similarity of all
# paragraphs (raw cosines sit in a narrow band for any Chinese text, so the spread is what tells;
# set for the default USE paragraph/sentence channel: "今天天气怎么样" reaches 5.6) ...
MIN_Z = 6.0
# ... or both, more weakly: some shared subject term and a clear lead in meaning.
WEAK_Z = 3.9
# ... or, for a question in everyday words the plan never writes (孩子才两岁没人看…托育), this share
# of its words the plan does write, one of them specific (托育), with some lead in meaning.
PLAN_WORDS_Z = 1.0

# A named thing must appear in this many places before "都有什么" means everything about it.
SPREAD = 3

# A company's cluster (the enterprise answer's first block, with the cluster's target): the item its
# words point to must also stand this many standard deviations above the mean paragraph in meaning
# to the description ...
CLUSTER_Z = 1.6
# ... and without a decisive word, the item closest in meaning is taken at this distance from the
# mean, if it shares at least one of the company's words.
CLUSTER_MEANING_Z = 2.5

# A word the plan writes in more than this share of its places (发展, 水平, 提高) names no subject.
GENERAL_SHARE = 0.3
