package dev.finetune4j.data;

/**
 * One training example as a reader produces it, before any template or tokenizer sees it. Which kind a
 * stage needs: {@code pt} a {@link TextDocument}; {@code sft} a {@link Conversation} ending with a
 * model-side turn; {@code rm}/{@code dpo}/{@code orpo}/{@code simpo} a {@link PreferenceExample};
 * {@code kto} a {@link KtoExample}; {@code ppo} a {@link Conversation} ending with a prompt-side turn.
 */
public sealed interface Example permits Conversation, PreferenceExample, KtoExample, TextDocument {
}
