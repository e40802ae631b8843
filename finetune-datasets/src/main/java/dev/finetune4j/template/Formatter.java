package dev.finetune4j.template;

import java.util.ArrayList;
import java.util.List;

/** A list of {@link Slot}s that formats one message (LLaMA-Factory's StringFormatter/EmptyFormatter). */
public record Formatter(List<Slot> slots) {
    public Formatter {
        slots = List.copyOf(slots);
    }

    public static Formatter of(Object... parts) {
        List<Slot> slots = new ArrayList<>();
        for (Object p : parts) {
            slots.add(p instanceof Slot s ? s : new Slot.Text((String) p));
        }
        return new Formatter(slots);
    }

    public static final Formatter EMPTY = new Formatter(List.of());

    /** The slots with the first {@code {{content}}} of each text slot replaced (and {@code {{idx}}}). */
    public List<Slot> apply(String content, String idx) {
        List<Slot> out = new ArrayList<>(slots.size());
        for (Slot s : slots) {
            if (s instanceof Slot.Text t) {
                String text = replaceFirst(t.text(), "{{content}}", content);
                if (idx != null) {
                    text = replaceFirst(text, "{{idx}}", idx);
                }
                out.add(new Slot.Text(text));
            } else {
                out.add(s);
            }
        }
        return out;
    }

    private static String replaceFirst(String s, String what, String with) {
        int i = s.indexOf(what);
        return i < 0 ? s : s.substring(0, i) + with + s.substring(i + what.length());
    }

    public boolean hasContentPlaceholder() {
        for (Slot s : slots) {
            if (s instanceof Slot.Text t && t.text().contains("{{content}}")) {
                return true;
            }
        }
        return false;
    }
}
