package pagestream.deploy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The property names (and defaults) that a SmallRye {@link ConfigMapping} interface accepts, derived by reflection the
 * way SmallRye names them: methods in kebab-case, nested interfaces as groups, {@code @WithName},
 * {@code @WithParentName}, {@code Map<String, X>} as {@code name.*}.
 */
final class ConfigMappingProperties {

    /** One leaf property: its full name, value type and default (null when it has none). */
    record Property(String name, Class<?> type, String defaultValue) {

        /** The environment variable MicroProfile Config maps to this name. */
        String envName() {
            return ConfigMappingProperties.envName(name);
        }
    }

    private ConfigMappingProperties() {}

    static Map<String, Property> of(Class<?> mapping) {
        ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
        if (annotation == null) {
            throw new IllegalArgumentException(mapping.getName() + " is not a @ConfigMapping");
        }
        Map<String, Property> properties = new LinkedHashMap<>();
        collect(mapping, annotation.prefix(), properties);
        return properties;
    }

    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static void collect(Class<?> group, String prefix, Map<String, Property> into) {
        for (Method method : group.getMethods()) {
            if (method.getParameterCount() != 0 || method.isDefault() || Modifier.isStatic(method.getModifiers())
                    || method.getDeclaringClass() == Object.class) {
                continue;
            }
            String name;
            if (method.isAnnotationPresent(WithParentName.class)) {
                name = prefix;
            } else {
                WithName withName = method.getAnnotation(WithName.class);
                String local = withName != null ? withName.value() : kebab(method.getName());
                name = prefix.isEmpty() ? local : prefix + "." + local;
            }
            Type type = method.getGenericReturnType();
            Class<?> raw = method.getReturnType();
            if (raw == Optional.class) {
                type = ((ParameterizedType) type).getActualTypeArguments()[0];
                raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
            }
            if (raw == Map.class) {
                Type value = ((ParameterizedType) type).getActualTypeArguments()[1];
                Class<?> valueClass = value instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) value;
                if (isGroup(valueClass)) {
                    collect(valueClass, name + ".*", into);
                } else {
                    into.put(name + ".*", new Property(name + ".*", valueClass, null));
                }
            } else if (isGroup(raw)) {
                collect(raw, name, into);
            } else {
                WithDefault withDefault = method.getAnnotation(WithDefault.class);
                into.put(name, new Property(name, raw, withDefault == null ? null : withDefault.value()));
            }
        }
    }

    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && !type.getName().startsWith("java.");
    }
}
