package pagestream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pagestream.embed.ComputeDtype;
import pagestream.embed.Device;
import pagestream.model.checkpoint.SafetensorsWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@code vidore/colpali-v1.3} is published: a PEFT adapter repository (no config.json, no tokenizer.json) whose
 * {@code base_model_name_or_path} is a hub id. The facade must resolve the base through the caller's resolver and
 * take the config and tokenizer from it.
 */
class ColPaliAdapterLoadTest {

    static final String BASE_ID = "vidore/colpaligemma-3b-pt-448-base";

    @Test
    void adapterRepositoryLoadsItsHubBaseThroughTheResolver(@TempDir Path tmp) throws Exception {
        // A zero LoRA (B = 0): the merged model must be the base model exactly.
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(adapter.resolve("adapter_config.json"), """
                {"peft_type": "LORA", "base_model_name_or_path": "%s", "r": 2, "lora_alpha": 4,
                 "target_modules": "(.*(language_model).*(q_proj).*$)", "use_rslora": false}
                """.formatted(BASE_ID));
        new SafetensorsWriter()
                .addFloat32("base_model.model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight",
                        new long[]{2, 64}, new float[2 * 64])
                .addFloat32("base_model.model.model.language_model.model.layers.0.self_attn.q_proj.lora_B.weight",
                        new long[]{64, 2}, new float[64 * 2])
                .write(adapter.resolve("adapter_model.safetensors"));

        List<String> asked = new ArrayList<>();
        ModelOptions options = new ModelOptions(null, Device.CPU, ComputeDtype.FLOAT32, 4);
        List<String> queries = List.of("What is ASN.1?", "Which MIME type does a PNG image have?");
        try (ColPaliModel base = ColPaliModel.load(ColPaliModelTest.DIR, options);
             ColPaliModel merged = ColPaliModel.load(adapter, options, id -> {
                 asked.add(id);
                 return ColPaliModelTest.DIR;
             })) {
            assertThat(asked).isNotEmpty().allMatch(BASE_ID::equals);
            assertThat(merged.embeddingDim()).isEqualTo(base.embeddingDim());
            List<MultiVector> expected = base.embedQueries(queries);
            List<MultiVector> actual = merged.embedQueries(queries);
            for (int i = 0; i < queries.size(); i++) {
                assertThat(actual.get(i).data()).as(queries.get(i)).containsExactly(expected.get(i).data());
            }
        }
    }
}
