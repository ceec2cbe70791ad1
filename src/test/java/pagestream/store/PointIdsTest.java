package pagestream.store;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class PointIdsTest {

    // Computed independently with Python: uuid.uuid5(uuid.UUID("51d15b6b-1c6e-4fbd-af9c-ca86919d36ba"), "report-2024.pdf\x003")
    @Test
    void matchesPythonsUuid5() {
        assertThat(PointIds.of("report-2024.pdf", 3)).isEqualTo(UUID.fromString("f7adb622-a017-5b2f-be1d-1050d75ab93f"));
        assertThat(PointIds.of("\u00e9t\u00e9", 0)).isEqualTo(UUID.fromString("523a8ed7-a840-5110-ab2b-bbc4e9d228a7"));
        // uuid.uuid5(uuid.UUID("9b7f2c4e-8d1a-4e3b-a6f5-2c0d7e9b1a43"), "4:acme\x00report-2024.pdf\x003")
        assertThat(PointIds.of("acme", "report-2024.pdf", 3)).isEqualTo(UUID.fromString("b9d029c6-36c5-5947-87a4-a06b89285dfc"));
    }

    @Test
    void isAVersion5RfcUuid() {
        UUID id = PointIds.of("doc", 1);
        assertThat(id.version()).isEqualTo(5);
        assertThat(id.variant()).isEqualTo(2);
    }

    @Test
    void namesAreUnambiguous() {
        assertThat(PointIds.of("a", 12)).isNotEqualTo(PointIds.of("a1", 2));
        assertThat(PointIds.of("a\u00001", 2)).isNotEqualTo(PointIds.of("a", 12));
        assertThat(PointIds.of("acme", "doc", 0)).isNotEqualTo(PointIds.of("globex", "doc", 0));
        assertThat(PointIds.of("acme", "doc", 0)).isNotEqualTo(PointIds.of("doc", 0));
        assertThat(PointIds.of("ab", "c", 0)).isNotEqualTo(PointIds.of("a", "bc", 0));
        assertThat(PointIds.of(null, "doc", 4)).isEqualTo(PointIds.of("doc", 4));
    }
}
