package dev.finetune4j.cuda;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/** Test helper: a class loader that pretends classes and resources under some path prefixes are absent. */
final class HidingClassLoader extends ClassLoader {
    private final List<String> hiddenPaths;

    HidingClassLoader(ClassLoader parent, String... hiddenPaths) {
        super("hiding", parent);
        this.hiddenPaths = List.of(hiddenPaths);
    }

    private boolean hidden(String path) {
        return hiddenPaths.stream().anyMatch(path::startsWith);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (hidden(name.replace('.', '/'))) {
            throw new ClassNotFoundException(name);
        }
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        return hidden(name) ? null : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return hidden(name) ? Collections.emptyEnumeration() : super.getResources(name);
    }
}
