package dev.finetune4j.cuda;

import java.io.IOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;

/**
 * A class loader that hides the {@code META-INF/services} registrations of one jar (or classes folder) and
 * delegates everything else to its parent. Installed as ND4J's class loader
 * ({@code ND4JClassLoading.setNd4jClassloader}) before ND4J starts, it decides which backend
 * {@code Nd4jBackend.load()} can see: that method lists {@code Nd4jBackend} providers with {@code ServiceLoader}
 * through ND4J's class loader, sorts them by priority (CUDA 100, CPU 0, or the {@code BACKEND_PRIORITY_GPU} /
 * {@code BACKEND_PRIORITY_CPU} environment variables) and starts the first whose {@code isAvailable()} is true.
 * Hiding the other backend means it is never instantiated, so asking for the CPU never touches CUDA, and asking
 * for CUDA never falls back to the CPU without saying so.
 */
final class BackendServiceFilter extends ClassLoader {
    private static final String SERVICES = "META-INF/services/";

    private final String hiddenLocation;

    /**
     * @param parent         the loader to delegate to
     * @param hiddenLocation the location prefix (e.g. {@code jar:file:/…/nd4j-cuda-11.6-1.0.0-M2.1.jar!/}) whose
     *                       service registrations are hidden
     */
    BackendServiceFilter(ClassLoader parent, String hiddenLocation) {
        super("finetune4j-backend-filter", parent);
        this.hiddenLocation = hiddenLocation;
    }

    String hiddenLocation() {
        return hiddenLocation;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        Enumeration<URL> all = super.getResources(name);
        if (!name.startsWith(SERVICES)) {
            return all;
        }
        List<URL> kept = new ArrayList<>();
        while (all.hasMoreElements()) {
            URL url = all.nextElement();
            if (!url.toString().startsWith(hiddenLocation)) {
                kept.add(url);
            }
        }
        return Collections.enumeration(kept);
    }

    @Override
    public URL getResource(String name) {
        if (!name.startsWith(SERVICES)) {
            return super.getResource(name);
        }
        try {
            Enumeration<URL> urls = getResources(name);
            return urls.hasMoreElements() ? urls.nextElement() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Where {@code className} comes from, as the prefix its class file URL starts with: the jar
     * ({@code jar:file:/…/x.jar!/}) or the classes folder ({@code file:/…/classes/}). Empty when it is absent.
     */
    static Optional<String> locationOf(String className, ClassLoader loader) {
        String path = className.replace('.', '/') + ".class";
        URL url = loader.getResource(path);
        if (url == null) {
            return Optional.empty();
        }
        String s = url.toString();
        return Optional.of(s.substring(0, s.length() - path.length()));
    }
}
