"""知识库: administrators' questions and answers per category, searched by operators to answer
a consultation on the call and close it directly (直接办结)."""
