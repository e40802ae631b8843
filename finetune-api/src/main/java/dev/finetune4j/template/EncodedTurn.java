package dev.finetune4j.template;

/**
 * One prompt/answer pair of an encoded conversation: {@code prompt} holds everything before the model's
 * turn (for the first pair also the prefix/BOS and the system block), {@code answer} the model's turn with
 * its end marker. Concatenating all pairs in order gives the conversation's token ids.
 */
public record EncodedTurn(int[] prompt, int[] answer) {
    public EncodedTurn {
        prompt = prompt.clone();
        answer = answer.clone();
    }

    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    @Override
    public int[] answer() {
        return answer.clone();
    }

    public int promptLength() {
        return prompt.length;
    }

    public int answerLength() {
        return answer.length;
    }
}
