package pagestream.model.checkpoint;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The one key-mapping table: every checkpoint layout users have, renamed to the canonical legacy transformers
 * {@code ColPaliForRetrieval} names (those of the golden checkpoints).
 *
 * <p>Each row maps a key prefix of one layout to the canonical prefix (or drops it). The longest matching prefix
 * wins, so {@code model.language_model.model.} (colpali-engine on transformers &lt; 4.52) and
 * {@code model.language_model.} (the same class on newer transformers, where {@code language_model} is the bare
 * {@code GemmaModel}) can live in one table. A key no row matches keeps its name, so
 * {@link Weights#checkAllUsed()} reports it instead of it being silently ignored.
 *
 * <p>Sources: transformers {@code ColPaliForRetrieval} / {@code PaliGemmaForConditionalGeneration}
 * ({@code _checkpoint_conversion_mapping}, v4.52+ moved the towers under {@code .model}); colpali-engine's
 * {@code ColPali(PaliGemmaPreTrainedModel)} with {@code self.model = PaliGemmaForConditionalGeneration} and
 * {@code self.custom_text_proj} (the layout of {@code vidore/colpaligemma-3b-pt-448-base} and the
 * {@code vidore/colpali-v1.x} LoRA adapters, whose keys are prefixed {@code base_model.model.}).
 */
public final class CheckpointKeys {

    /** One row of the table; {@code canonicalPrefix == null} drops the key (the tied LM head). */
    public record Rule(String layout, String storedPrefix, String canonicalPrefix) {
    }

    private static final String VISION = "vlm.vision_tower.";
    private static final String PROJECTOR = "vlm.multi_modal_projector.";
    private static final String TEXT = "vlm.language_model.model.";
    private static final String HEAD = "embedding_proj_layer.";

    /** The table. {@code lm_head} is tied to {@code embed_tokens} in every layout, so it is never loaded. */
    public static final List<Rule> RULES = List.of(
            // transformers ColPaliForRetrieval, legacy save_pretrained names (canonical)
            new Rule("transformers-legacy", VISION, VISION),
            new Rule("transformers-legacy", PROJECTOR, PROJECTOR),
            new Rule("transformers-legacy", TEXT, TEXT),
            new Rule("transformers-legacy", HEAD, HEAD),
            new Rule("transformers-legacy", "vlm.language_model.lm_head.", null),
            // transformers >= 4.52 ColPaliForRetrieval: PaliGemmaModel under vlm.model, GemmaModel without .model
            new Rule("transformers", "vlm.model.vision_tower.", VISION),
            new Rule("transformers", "vlm.model.multi_modal_projector.", PROJECTOR),
            new Rule("transformers", "vlm.model.language_model.", TEXT),
            new Rule("transformers", "vlm.lm_head.", null),
            // colpali-engine ColPali (and vidore/colpaligemma-3b-pt-448-base), transformers < 4.52
            new Rule("colpali-engine", "model.vision_tower.", VISION),
            new Rule("colpali-engine", "model.multi_modal_projector.", PROJECTOR),
            new Rule("colpali-engine", "model.language_model.model.", TEXT),
            new Rule("colpali-engine", "model.language_model.lm_head.", null),
            new Rule("colpali-engine", "custom_text_proj.", HEAD),
            // colpali-engine ColPali on transformers >= 4.52
            new Rule("colpali-engine-new", "model.model.vision_tower.", VISION),
            new Rule("colpali-engine-new", "model.model.multi_modal_projector.", PROJECTOR),
            new Rule("colpali-engine-new", "model.model.language_model.", TEXT),
            new Rule("colpali-engine-new", "model.language_model.", TEXT),
            new Rule("colpali-engine-new", "model.lm_head.", null),
            // a bare tied head, whatever the layout
            new Rule("any", "lm_head.", null));

    /** Prefix of every key in a PEFT adapter file ({@code PeftModel.base_model.model.<module>}). */
    public static final String PEFT_PREFIX = "base_model.model.";

    private static final List<Rule> LONGEST_FIRST = RULES.stream()
            .sorted(Comparator.comparingInt((Rule r) -> r.storedPrefix().length()).reversed())
            .toList();

    private CheckpointKeys() {
    }

    /**
     * The canonical name of a stored key: empty if the key is dropped (tied LM head), the key itself if no row
     * matches (it then surfaces as unused).
     */
    public static Optional<String> canonical(String storedKey) {
        for (Rule rule : LONGEST_FIRST) {
            if (storedKey.startsWith(rule.storedPrefix())) {
                return rule.canonicalPrefix() == null
                        ? Optional.empty()
                        : Optional.of(rule.canonicalPrefix() + storedKey.substring(rule.storedPrefix().length()));
            }
        }
        return Optional.of(storedKey);
    }
}
