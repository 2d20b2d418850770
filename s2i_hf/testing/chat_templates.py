"""Chat templates of the tiny models: each family's own style, with ``{% generation %}`` markers.

The markers wrap the assistant answer and the end-of-turn token (and nothing after it: the newline that closes a
ChatML turn stays outside), so ``apply_chat_template(..., return_assistant_tokens_mask=True)`` marks exactly the
tokens a model has to produce after the generation prompt. Where a family puts the answer right after
``Assistant:``, the separating space is inside the markers: it is what the model generates first.

All text is emitted from ``{{- ... }}`` expressions and every tag strips the whitespace before it, so the layout
below leaves no trace in the rendered prompt.
"""

from __future__ import annotations

__all__ = ["CHAT_TEMPLATES"]

# A text block of a message: the Qwen templates also accept OpenAI-style blocks without "type".
_QWEN_MEDIA = """
            {%- if content['type'] == 'image' or 'image' in content or 'image_url' in content %}
                {%- set image_count.value = image_count.value + 1 %}
                {%- if add_vision_id %}{{- 'Picture ' ~ image_count.value ~ ': ' }}{%- endif %}
                {{- '<|vision_start|><|image_pad|><|vision_end|>' }}
            {%- elif content['type'] == 'video' or 'video' in content %}
                {%- set video_count.value = video_count.value + 1 %}
                {%- if add_vision_id %}{{- 'Video ' ~ video_count.value ~ ': ' }}{%- endif %}
                {{- '<|vision_start|><|video_pad|><|vision_end|>' }}
            {%- elif 'text' in content %}
                {{- content['text'] }}
            {%- endif %}"""


def _chatml_qwen(system_default: bool) -> str:
    system = (
        """
    {%- if loop.first and message['role'] != 'system' %}
        {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}"""
        if system_default
        else ""
    )
    return (
        """{%- set image_count = namespace(value=0) %}
{%- set video_count = namespace(value=0) %}
{%- for message in messages %}"""
        + system
        + """
    {{- '<|im_start|>' + message['role'] + '\\n' }}
    {%- if message['role'] == 'assistant' %}
        {%- generation %}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] %}
                {%- if 'text' in content %}{{- content['text'] }}{%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>' }}
        {%- endgeneration %}
        {{- '\\n' }}
    {%- else %}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] %}"""
        + _QWEN_MEDIA
        + """
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""
    )


# LLaVA-OneVision (llava-hf style ChatML: "<|im_start|>user <video>\ntext<|im_end|>").
_LLAVA_ONEVISION = """{%- for message in messages %}
    {%- if message['role'] == 'assistant' %}
        {{- '<|im_start|>assistant\\n' }}
        {%- generation %}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}
                {{- content['text'] }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>' }}
        {%- endgeneration %}
        {{- '\\n' }}
    {%- else %}
        {{- '<|im_start|>' + message['role'] + ' ' }}
        {%- if message['content'] is string %}
            {{- '\\n' + message['content'] }}
        {%- else %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'image') %}
                {{- '<image>' }}
            {%- endfor %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'video') %}
                {{- '<video>' }}
            {%- endfor %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}
                {{- '\\n' + content['text'] }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# LLaVA-NeXT-Video (Vicuna style: "<s>USER: <video>\ntext ASSISTANT: answer</s>").
_LLAVA_NEXT_VIDEO = """{{- bos_token }}
{%- for message in messages %}
    {%- if message['role'] == 'assistant' %}
        {{- 'ASSISTANT:' }}
        {%- generation %}
        {{- ' ' }}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}
                {{- content['text'] }}
            {%- endfor %}
        {%- endif %}
        {{- eos_token }}
        {%- endgeneration %}
    {%- else %}
        {%- if message['role'] != 'system' %}
            {{- message['role'].upper() + ': ' }}
        {%- endif %}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'image') %}
                {{- '<image>\\n' }}
            {%- endfor %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'video') %}
                {{- '<video>\\n' }}
            {%- endfor %}
            {%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}
                {{- content['text'] }}
            {%- endfor %}
        {%- endif %}
        {{- ' ' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- 'ASSISTANT:' }}
{%- endif %}
"""

_SMOLVLM_LINES = """
            {%- for line in message['content'] %}
                {%- if line['type'] == 'text' %}
                    {{- line['text'] }}
                {%- elif line['type'] == 'image' %}
                    {{- '<image>' }}
                {%- elif line['type'] == 'video' %}
                    {{- '<video>' }}
                {%- endif %}
            {%- endfor %}"""

# SmolVLM / SmolVLM2 ("<|im_start|>User:<video>text<end_of_utterance>\nAssistant: answer<end_of_utterance>\n").
_SMOLVLM = (
    """{{- '<|im_start|>' }}
{%- for message in messages %}
    {%- if message['role'] == 'assistant' %}
        {{- 'Assistant:' }}
        {%- generation %}
        {%- if message['content'] is string %}
            {{- ' ' + message['content'] }}
        {%- else %}
            {%- if message['content'][0]['type'] not in ['image', 'video'] %}{{- ' ' }}{%- endif %}"""
    + _SMOLVLM_LINES
    + """
        {%- endif %}
        {{- '<end_of_utterance>' }}
        {%- endgeneration %}
        {{- '\\n' }}
    {%- else %}
        {{- message['role'] | capitalize }}
        {%- if message['content'] is string %}
            {{- ': ' + message['content'] }}
        {%- else %}
            {%- if message['content'][0]['type'] in ['image', 'video'] %}{{- ':' }}{%- else %}{{- ': ' }}{%- endif %}"""
    + _SMOLVLM_LINES
    + """
        {%- endif %}
        {{- '<end_of_utterance>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- 'Assistant:' }}
{%- endif %}
"""
)

# InternVL3 (-hf): ChatML, images as <IMG_CONTEXT>, videos as <video> (expanded to "Frame1: <img>...</img>").
_INTERNVL = """{%- for message in messages %}
    {{- '<|im_start|>' + message['role'] + '\\n' }}
    {%- if message['role'] == 'assistant' %}
        {%- generation %}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] %}
                {%- if content['type'] == 'text' %}{{- content['text'] }}{%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>' }}
        {%- endgeneration %}
        {{- '\\n' }}
    {%- else %}
        {%- if message['content'] is string %}
            {{- message['content'] }}
        {%- else %}
            {%- for content in message['content'] %}
                {%- if content['type'] == 'image' %}
                    {{- '<IMG_CONTEXT>\\n' }}
                {%- elif content['type'] == 'video' %}
                    {{- '<video>\\n' }}
                {%- elif content['type'] == 'text' %}
                    {{- content['text'] }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

CHAT_TEMPLATES: dict[str, str] = {
    "qwen2_5_vl": _chatml_qwen(system_default=True),  # Qwen2.5-VL adds a default system prompt
    "qwen3_vl": _chatml_qwen(system_default=False),
    "llava_onevision": _LLAVA_ONEVISION,
    "llava_next_video": _LLAVA_NEXT_VIDEO,
    "smolvlm": _SMOLVLM,
    "internvl": _INTERNVL,
}
