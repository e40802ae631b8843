package dev.finetune4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A test tokenizer whose ids are easy to count by hand: every special token listed is one id (1000000 + its
 * index), every other character is its own code point.
 */
public final class CharTokenizer implements Tokenizer {
    public static final int SPECIAL_BASE = 1_000_000;
    private final List<String> specials;
    private final String bos;
    private final String eos;
    private final String pad;
    private final boolean addBos;

    public CharTokenizer(List<String> specials, String bos, String eos, String pad, boolean addBos) {
        this.specials = new ArrayList<>(specials);
        for (String s : new String[] {bos, eos, pad}) {
            if (s != null && !this.specials.contains(s)) {
                this.specials.add(s);
            }
        }
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.addBos = addBos;
    }

    public static CharTokenizer of(String bos, String eos, String... specials) {
        return new CharTokenizer(List.of(specials), bos, eos, null, false);
    }

    @Override
    public int[] encode(String text) {
        return encodeWithOffsets(text).ids();
    }

    @Override
    public TokenizedText encodeWithOffsets(String text) {
        List<int[]> toks = new ArrayList<>();
        int i = 0;
        outer:
        while (i < text.length()) {
            for (int s = 0; s < specials.size(); s++) {
                if (text.startsWith(specials.get(s), i)) {
                    toks.add(new int[] {SPECIAL_BASE + s, i, i + specials.get(s).length()});
                    i += specials.get(s).length();
                    continue outer;
                }
            }
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            toks.add(new int[] {cp, i, i + n});
            i += n;
        }
        int[] ids = new int[toks.size()];
        int[] starts = new int[toks.size()];
        int[] ends = new int[toks.size()];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = toks.get(k)[0];
            starts[k] = toks.get(k)[1];
            ends[k] = toks.get(k)[2];
        }
        return new TokenizedText(ids, starts, ends);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id >= SPECIAL_BASE) {
                if (!skipSpecialTokens) {
                    sb.append(specials.get(id - SPECIAL_BASE));
                }
            } else {
                sb.appendCodePoint(id);
            }
        }
        return sb.toString();
    }

    @Override
    public OptionalInt tokenId(String token) {
        int i = specials.indexOf(token);
        if (i >= 0) {
            return OptionalInt.of(SPECIAL_BASE + i);
        }
        return token.codePointCount(0, token.length()) == 1 ? OptionalInt.of(token.codePointAt(0)) : OptionalInt.empty();
    }

    @Override
    public Optional<String> token(int id) {
        return Optional.of(decode(new int[] {id}, false));
    }

    @Override
    public int vocabSize() {
        return SPECIAL_BASE + specials.size();
    }

    @Override
    public Optional<String> bosToken() {
        return Optional.ofNullable(bos);
    }

    @Override
    public Optional<String> eosToken() {
        return Optional.ofNullable(eos);
    }

    @Override
    public Optional<String> padToken() {
        return Optional.ofNullable(pad);
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= SPECIAL_BASE;
    }

    @Override
    public boolean addBosToken() {
        return addBos;
    }

    @Override
    public Optional<String> chatTemplate() {
        return Optional.empty();
    }
}
