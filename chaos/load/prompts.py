"""The chat prompts of the built-in load: what people ask an assistant, short answers and long."""

CHAT_PROMPTS = (
    "Summarise the main causes of the French Revolution in three sentences.",
    "Write a haiku about a server that never sleeps.",
    "Explain the difference between a process and a thread to a new engineer.",
    "Draft a polite email asking a colleague to review my pull request today.",
    "What are three good habits for writing maintainable Python code?",
    "Translate 'the meeting is moved to Thursday afternoon' into Spanish.",
    "Give me a short recipe for a vegetarian pasta dinner for two.",
    "How do I explain exponential backoff to a product manager?",
    "List five questions to ask in a post-incident review.",
    "Suggest a name for a coffee shop that is also a bookshop.",
)
