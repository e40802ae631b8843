package dev.finetune4j.template.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Jinja features chat templates use; expected strings checked against @huggingface/jinja / Jinja2. */
class JinjaTemplateTest {
    static String r(String template) {
        return r(template, Map.of());
    }

    static String r(String template, Map<String, ?> ctx) {
        return JinjaTemplate.compile(template).render(ctx);
    }

    @Test
    void whitespaceControlTrimBlocksAndLstripBlocks() {
        assertEquals("a\nb", r("a\n  {%- if true %}\n{{- '\\nb' }}\n{%- endif %}\n"));
        assertEquals("x\ny", r("{% if true %}\nx\n{% endif %}\ny"));       // trim_blocks eats the newline after %}
        assertEquals("x\n", r("    {% if true %}x\n    {% endif %}"));    // lstrip_blocks
        assertEquals("ab", r("a {#- comment -#} b"));
        assertEquals("1 2", r("{{ 1 }} {{ 2 }}\n"));                       // a final newline is dropped
    }

    @Test
    void pythonStringMethodsAndSlices() {
        assertEquals("True False", r("{{ 'abc'.startswith('a') }} {{ 'abc'.endswith(('x', 'y')) }}"));
        assertEquals("cba|[2, 3]|[3, 2, 1]|[1, 2]", r("{{ 'abc'[::-1] }}|{{ [1,2,3][1:] }}|{{ [1,2,3][::-1] }}|"
                + "{{ [1,2,3][:-1] }}"));
        assertEquals("b|x|y\n|  x ", r("{{ 'a,b'.split(',')[-1] }}|{{ '\\n x \\n'.strip() }}|{{ '\\n\\ny\\n'.lstrip('\\n') }}"
                + "|{{ '  x \\n'.rstrip('\\n') }}"));
        assertEquals("['a', 'b c']|A-B|Hello World", r("{{ 'a b c'.split(' ', 1) }}|{{ 'a_b'.replace('_', '-').upper() }}"
                + "|{{ 'hello world'.title() }}"));
        assertEquals("reasoning", r("{{ ('<think>\\nreasoning\\n</think>\\n\\nanswer'.split('</think>')[0]"
                + ".rstrip('\\n').split('<think>')[-1].lstrip('\\n')) }}"));
    }

    @Test
    void namespaceLoopsAndScoping() {
        String t = "{%- set ns = namespace(found=false, idx=items|length - 1) %}"
                + "{%- for x in items[::-1] %}{%- set i = (items|length - 1) - loop.index0 %}"
                + "{%- if not ns.found and x > 1 %}{%- set ns.found = true %}{%- set ns.idx = i %}{%- endif %}"
                + "{%- endfor %}{{ ns.idx }}";
        assertEquals("2", r(t, Map.of("items", List.of(0, 5, 3, 1))));
        assertEquals("1:a:True:False,2:b:False:True,", r("{% for x in ['a','b'] %}{{ loop.index }}:{{ x }}:{{ loop.first }}"
                + ":{{ loop.last }},{% endfor %}"));
        assertEquals("outer", r("{% set v = 'outer' %}{% for i in [1] %}{% set v = 'inner' %}{% endfor %}{{ v }}"));
        assertEquals("13", r("{% for i in [1,2,3,4] %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}"
                + "{% break %}{% endif %}{{ i }}{% endfor %}"));
        assertEquals("none", r("{% for x in [] %}{{ x }}{% else %}none{% endfor %}"));
        assertEquals("a=1;b=2;", r("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
                Map.of("d", new java.util.LinkedHashMap<>(Map.of("a", 1)) {
                    private static final long serialVersionUID = 1L;

                    {
                        put("b", 2);
                    }
                })));
        assertEquals("2,4", r("{% for x in [1,2,3,4] if x is even %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}"));
    }

    @Test
    void testsFiltersAndOperators() {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("content", "hi");
        m.put("none_value", null);
        assertEquals("True False True True", r("{{ m.content is defined }} {{ m.reasoning is defined }} "
                + "{{ m.none_value is none }} {{ m.none_value is not string }}", Map.of("m", m)));
        assertEquals("{\"a\": [1, {\"b\": 2.5}], \"c\": \"x\\\"y\", \"d\": null, \"e\": true}",
                r("{{ {'a': [1, {'b': 2.5}], 'c': 'x\"y', 'd': none, 'e': true} | tojson }}"));
        assertEquals("{\n  \"a\": 1\n}", r("{{ {'a': 1} | tojson(indent=2) }}"));
        assertEquals("3|x|AB|1,2|3|b|a", r("{{ [1,2,3]|length }}|{{ '  x '|trim }}|{{ 'ab'|upper }}|{{ [1,2]|join(',') }}"
                + "|{{ 'abc'|length }}|{{ ['a','b']|last }}|{{ ['a','b']|first }}"));
        assertEquals("1.5 3 1 12 True True yes", r("{{ 3/2 }} {{ 7//2 }} {{ 7 % 3 }} {{ 1 ~ 2 }} {{ 'a' in 'cat' }} "
                + "{{ 2 not in [1] }} {{ 'yes' if 1 > 0 else 'no' }}"));
        assertEquals("dflt|x", r("{{ missing|default('dflt') }}|{{ 'x'|default('y') }}"));
        assertEquals("[1z][2q]", r("{% macro f(a, b='z') %}[{{ a }}{{ b }}]{% endmacro %}{{ f(1) }}{{ f(2, b='q') }}"));
        assertEquals("2", r("{{ [{'r': 'a'}, {'r': 'b'}, {'r': 'a'}] | selectattr('r', 'equalto', 'a') | list | length }}"));
        assertEquals("", r("{{ undefined_name }}"));
        assertEquals("ok", r("{% set x %}o{{ 'k' }}{% endset %}{{ x }}"));
    }

    @Test
    void raiseExceptionAndErrorsNameTheLine() {
        JinjaException e = assertThrows(JinjaException.class,
                () -> r("{% if true %}{{ raise_exception('Only user and assistant roles') }}{% endif %}"));
        assertTrue(e.getMessage().contains("Only user and assistant roles"), e.getMessage());
        e = assertThrows(JinjaException.class, () -> r("line one\n{% if %}"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(JinjaException.class, () -> r("{% for x in [1] %}"));
        assertThrows(JinjaException.class, () -> r("{{ x | nosuchfilter }}"));
    }

    @Test
    void strftimeNowUsesTheClock() {
        JinjaTemplate t = JinjaTemplate.compile("{{ strftime_now('%d %b %Y') }}").withClock(java.time.Clock.fixed(
                java.time.Instant.parse("2024-07-26T10:00:00Z"), java.time.ZoneOffset.UTC));
        assertEquals("26 Jul 2024", t.render(Map.of()));
    }
}
