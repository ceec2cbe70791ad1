package pagestream.api.cli;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The garbage collector's pauses as the JVM reports them (GC notifications: G1's young and mixed collections, its
 * remark and cleanup pauses, full collections; ZGC's and Shenandoah's pauses), so {@code bench-load} can tell how
 * much of a reply's tail under load is the collector's. The concurrent collectors' "Cycles" beans are left out:
 * they report whole concurrent cycles, during which the application runs.
 */
final class GcPauses implements AutoCloseable {

    /** Pauses that ended between two {@link System#nanoTime()} readings. */
    record Window(int count, long totalMs, long maxMs) {
        @Override
        public String toString() {
            return count + " pauses, " + totalMs + " ms in all, longest " + maxMs + " ms";
        }
    }

    private record Pause(long endNanos, long ms) {
    }

    private final List<Pause> pauses = new CopyOnWriteArrayList<>();
    private final NotificationListener listener = this::onNotification;
    private final List<NotificationEmitter> emitters = ManagementFactory.getGarbageCollectorMXBeans().stream()
            .filter(bean -> !bean.getName().endsWith("Cycles"))
            .filter(NotificationEmitter.class::isInstance).map(NotificationEmitter.class::cast).toList();

    GcPauses() {
        emitters.forEach(emitter -> emitter.addNotificationListener(listener, null, null));
    }

    private void onNotification(Notification notification, Object handback) {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            GarbageCollectionNotificationInfo info =
                    GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            pauses.add(new Pause(System.nanoTime(), info.getGcInfo().getDuration()));
        }
    }

    Window between(long fromNanos, long toNanos) {
        List<Pause> in = pauses.stream().filter(p -> p.endNanos() >= fromNanos && p.endNanos() < toNanos).toList();
        return new Window(in.size(), in.stream().mapToLong(Pause::ms).sum(),
                in.stream().mapToLong(Pause::ms).max().orElse(0));
    }

    @Override
    public void close() {
        for (NotificationEmitter emitter : emitters) {
            try {
                emitter.removeNotificationListener(listener);
            } catch (ListenerNotFoundException e) {
                // never added: nothing to remove
            }
        }
    }
}
