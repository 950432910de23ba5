"""The prompts that ask a rewriter to turn a single-turn counselling answer into a
multi-turn dialogue. Written by this project; versioned, and the version is stored with
every output, so a changed wording never mixes with the old one unnoticed. No Django here.

- ``empathy``: the SoulChat paper's constraints (listening, comfort, understanding, trust,
  recognition, sincerity, emotional support; short turns; starts with the user, ends with
  the psychologist; 8–20 rounds), after thinking through the user's needs and the
  empathy techniques to use.
- ``smile``: the plainer SMILE-style request: rewrite the answer as a dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass

EMPATHY, SMILE = "empathy", "smile"


@dataclass(frozen=True)
class RewritePrompt:
    name: str
    version: str
    system: str
    template: str

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, *, question: str, answer: str, description: str = "") -> str:
        if not question.strip() or not answer.strip():
            raise ValueError("a rewrite needs both the question and the answer")
        details = f"\n补充描述：{description.strip()}" if description.strip() else ""
        return self.template.format(
            question=question.strip(), description=details, answer=answer.strip()
        )


_EMPATHY_SYSTEM = "你是一位经验丰富、富有同理心的心理咨询师，也是一位严谨的对话编写者。"

_EMPATHY_TEMPLATE = """下面是一位求助者在网上提出的心理问题，以及一位心理咨询师的单轮长篇回答。
请把它改写成求助者与心理咨询师之间的多轮对话。

【求助者的问题】
{question}{description}

【心理咨询师的回答】
{answer}

请先简要分析（写在“分析：”之后）：
1. 求助者的处境和情绪，以及他/她真正需要的是什么；
2. 咨询师在每个阶段要使用哪些共情技术：倾听、安慰、理解、建立信任、认可、真诚、情感支持。

然后写出对话（写在“对话：”之后），要求：
- 对话由“用户：”开始，由“心理咨询师：”结束，两人严格轮流发言，每行一轮发言；
- 共 8 到 20 轮（一轮 = 一次用户发言加一次咨询师回应）；
- 咨询师的每次回应都要体现倾听、安慰、理解、信任、认可、真诚和情感支持中的至少一种，
  先回应情绪，再给出建议，建议要来自原回答的内容；
- 每次发言简短口语化（通常不超过 100 字），不要长篇说教；
- 用户的发言要自然地补充细节、表达感受，就像真实的来访者；
- 不要出现真实姓名、电话、地址等个人信息，不要编造原回答中没有的专业结论。
"""

_SMILE_TEMPLATE = """请把下面的单轮问答改写成求助者与支持者之间的多轮对话。

问题：{question}{description}

回答：{answer}

对话用“求助者：”和“支持者：”开头，求助者先说，支持者最后回应，共 8 到 20 轮。
"""

PROMPTS: dict[str, RewritePrompt] = {
    EMPATHY: RewritePrompt(EMPATHY, "1", _EMPATHY_SYSTEM, _EMPATHY_TEMPLATE),
    SMILE: RewritePrompt(SMILE, "1", "", _SMILE_TEMPLATE),
}


def rewrite_prompt_get(name: str) -> RewritePrompt:
    prompt = PROMPTS.get(name)
    if prompt is None:
        raise ValueError(f"unknown rewrite prompt {name!r}; one of {', '.join(PROMPTS)}")
    return prompt
