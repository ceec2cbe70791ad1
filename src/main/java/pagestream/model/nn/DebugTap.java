package pagestream.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * Receives named intermediates of a forward pass (names as in the golden reference without the {@code image_} /
 * {@code query_} prefix: {@code vision_layer0_output}, {@code decoder_final_hidden}, ...). Off by default.
 * The array is only valid during the call (later steps may update it in place or close it): copy what you keep.
 */
@FunctionalInterface
public interface DebugTap {

    DebugTap OFF = (name, value) -> { };

    void record(String name, NDArray value);
}
