"""Chat: the streaming tutor (chat/)."""

from learnwithavi.settings.components.environment import env

# Whether learners who are not signed in may chat (their conversations are not stored).
CHAT_ALLOW_ANONYMOUS = env.bool("CHAT_ALLOW_ANONYMOUS", default=True)
# Tokens (in + out) a user may spend on chat per UTC day; 0 means no budget.
CHAT_DAILY_TOKEN_BUDGET = env.int("CHAT_DAILY_TOKEN_BUDGET", default=0)
# When every paid provider fails before its first token, the local answerer still answers.
CHAT_LOCAL_FALLBACK = env.bool("CHAT_LOCAL_FALLBACK", default=True)
# Seconds of silence before a comment line keeps the connection open.
CHAT_HEARTBEAT_SECONDS = env.float("CHAT_HEARTBEAT_SECONDS", default=15.0)
# Seconds a provider may take to its first token before the next one is tried.
CHAT_FIRST_TOKEN_TIMEOUT = env.float("CHAT_FIRST_TOKEN_TIMEOUT", default=20.0)
# Seconds within which the model's tokens leave as one event (fewer writes per answer; 0 = each
# read from the vendor leaves at once).
CHAT_COALESCE_SECONDS = env.float("CHAT_COALESCE_SECONDS", default=0.05)
# The vendor SDKs' HTTP transport: aiohttp (the SDKs' DefaultAioHttpClient) or httpx.
CHAT_HTTP_TRANSPORT = env.str("CHAT_HTTP_TRANSPORT", default="aiohttp")
# Pause between the local answerer's words, so that its answer streams as a model's would.
CHAT_LOCAL_WORD_DELAY = env.float("CHAT_LOCAL_WORD_DELAY", default=0.03)
# Conversation history sent to the model, in (estimated) tokens; older turns are dropped.
CHAT_HISTORY_TOKEN_BUDGET = env.int("CHAT_HISTORY_TOKEN_BUDGET", default=2000)
# Transcript chunks retrieved as numbered sources for one answer.
CHAT_SOURCES_K = env.int("CHAT_SOURCES_K", default=6)
# Connections of the chat's own async pool (its per-request queries skip Django's thread hop).
CHAT_DB_POOL_SIZE = env.int("CHAT_DB_POOL_SIZE", default=10)
