package pagestream.embed;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceTest {

    @Test
    void parsesSettingValues() {
        assertThat(Device.parse("auto")).isEqualTo(Device.AUTO);
        assertThat(Device.parse(" CUDA ")).isEqualTo(Device.CUDA);
        assertThat(Device.parse("cpu")).isEqualTo(Device.CPU);
        assertThatThrownBy(() -> Device.parse("tpu")).hasMessageContaining("pagestream.device must be auto, cpu or cuda");
        assertThat(ComputeDtype.parse("fp16")).isEqualTo(ComputeDtype.FLOAT16);
        assertThat(ComputeDtype.parse("float32")).isEqualTo(ComputeDtype.FLOAT32);
        assertThatThrownBy(() -> ComputeDtype.parse("bf16")).hasMessageContaining("auto, fp32 or fp16");
    }

    @Test
    void autoDtypeIsFloat32OnCpuAndFloat16OnGpu() {
        assertThat(ComputeDtype.AUTO.resolve(ai.djl.Device.cpu())).isEqualTo(DataType.FLOAT32);
        assertThat(ComputeDtype.AUTO.resolve(ai.djl.Device.gpu())).isEqualTo(DataType.FLOAT16);
        assertThat(ComputeDtype.FLOAT16.resolve(ai.djl.Device.cpu())).isEqualTo(DataType.FLOAT16);
    }

    @Test
    void resolvesAgainstWhatPyTorchSees() {
        boolean gpu = Engine.getEngine("PyTorch").getGpuCount() > 0;
        assertThat(Device.CPU.resolve()).isEqualTo(ai.djl.Device.cpu());
        assertThat(Device.AUTO.resolve().isGpu()).isEqualTo(gpu);
        if (!gpu) {
            assertThatThrownBy(Device.CUDA::resolve).hasMessageContaining("sees no CUDA GPU");
        }
    }
}
