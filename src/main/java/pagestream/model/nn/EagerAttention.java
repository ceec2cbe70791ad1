package pagestream.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The reference's {@code eager_attention_forward} (SigLIP and Gemma share it): {@code softmax(q kᵀ · scale + mask)
 * v}, softmax in float32. There is no fused SDPA op in DJL, so it is two batched matmuls, taken over blocks of
 * (sequence, kv head) problems and query rows that keep the scores in cache.
 *
 * <p>Grouped-query attention without copying key/value heads: transformers' {@code repeat_kv} gives query head
 * {@code h} the key/value head {@code h / G} (G = query heads per kv head). Folding the G query heads of one kv head
 * into the row axis ({@code [B·Hkv, G·S, D]}) lets one matmul against the un-repeated {@code [B·Hkv, D, S]} keys
 * do the same arithmetic.
 *
 * <p>Legend: B batch, S sequence, Hq query heads, Hkv key/value heads, G = Hq/Hkv, D head size.
 */
public final class EagerAttention {

    /** Scores formed at a time: 8 MB of float32, a quarter of this machine class's last-level cache. */
    static final long SCORE_BLOCK_FLOATS = 1L << 21;

    private EagerAttention() {
    }

    /**
     * @param q       {@code [B, S, Hq, D]}
     * @param k       {@code [B, S, Hkv, D]}
     * @param v       {@code [B, S, Hkv, D]}
     * @param mask    additive float32 mask {@code [B, 1, 1, S]} (it depends on the key only), or null
     * @param scaling {@code head_dim^-0.5}
     * @return {@code [B, S, Hq·D]} in q's dtype
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, float scaling) {
        return attend(q, k, v, mask, scaling, SCORE_BLOCK_FLOATS);
    }

    /** {@link #attend(NDArray, NDArray, NDArray, NDArray, float)} forming at most {@code blockFloats} scores at a time. */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, float scaling, long blockFloats) {
        long b = q.getShape().get(0);
        long s = q.getShape().get(1);
        long hq = q.getShape().get(2);
        long d = q.getShape().get(3);
        long hkv = k.getShape().get(2);
        long g = hq / hkv;
        long n = b * hkv; // independent attention problems
        long rows = g * s;
        DataType type = q.getDataType();

        // q [B, S, Hq, D] -> [B, S, Hkv, G, D] -> transpose -> [B, Hkv, G, S, D] -> [B·Hkv, G·S, D]
        NDArray qg = q.reshape(b, s, hkv, g, d).transpose(0, 2, 3, 1, 4).reshape(n, rows, d);
        // k [B, S, Hkv, D] -> transpose -> [B, Hkv, D, S] (= key_states.transpose(2, 3)) -> [B·Hkv, D, S]
        NDArray kt = k.transpose(0, 2, 3, 1).reshape(n, d, s);
        // v [B, S, Hkv, D] -> transpose -> [B, Hkv, S, D] -> [B·Hkv, S, D]
        NDArray vt = v.transpose(0, 2, 1, 3).reshape(n, s, d);
        // [B, 1, 1, S] -> [B·Hkv, 1, S]: the same key mask for every head of a sequence
        NDArray mask3 = mask == null ? null
                : hkv == 1 ? mask.reshape(b, 1, s) : mask.broadcast(new Shape(b, hkv, 1, s)).reshape(n, 1, s);

        // The problems are taken in blocks whose scores ([problems, rows, S] float32) fit in blockFloats: whole
        // problems while one fits (full-height GEMMs), else one problem in equal blocks of query rows. Each row's
        // softmax is independent of the others, so blocking changes no result; it keeps a block's scores, softmax
        // and probs·v in the last-level cache instead of writing all scores to memory and reading them back twice
        // (64 MB for 4 pages of 1024 patches, which then took 1.4x longer per page than one page alone).
        long problemsPerBlock = Math.max(1, Math.min(n, blockFloats / (rows * s)));
        long rowBlocks = rows * s <= blockFloats ? 1 : (rows * s + blockFloats - 1) / blockFloats;
        long rowsPerBlock = (rows + rowBlocks - 1) / rowBlocks; // equal: 4120 rows as 3 x 1374, not 2036+2036+48
        NDList problems = new NDList();
        for (long p = 0; p < n; p += problemsPerBlock) {
            long pEnd = Math.min(n, p + problemsPerBlock);
            NDArray kBlock = kt.get(new NDIndex().addSliceDim(p, pEnd));
            NDArray vBlock = vt.get(new NDIndex().addSliceDim(p, pEnd));
            NDArray maskBlock = mask3 == null ? null : mask3.get(new NDIndex().addSliceDim(p, pEnd));
            NDList rowParts = new NDList();
            for (long r = 0; r < rows; r += rowsPerBlock) {
                NDArray qBlock = qg.get(new NDIndex().addSliceDim(p, pEnd).addSliceDim(r, Math.min(rows, r + rowsPerBlock)));
                rowParts.add(attendRows(qBlock, kBlock, vBlock, maskBlock, scaling, type));
                qBlock.close();
            }
            problems.add(joined(rowParts, 1));
        }
        NDArray ctx = joined(problems, 0); // [B·Hkv, G·S, D]
        // [B·Hkv, G·S, D] -> [B, Hkv, G, S, D] -> transpose -> [B, S, Hkv, G, D] -> [B, S, Hq·D]
        return ctx.reshape(b, hkv, g, s, d).transpose(0, 3, 1, 2, 4).reshape(b, s, hq * d);
    }

    /** {@code softmax(q kᵀ · scale + mask) v} for a block {@code [P, R, D]} of problems and query rows -> {@code [P, R, D]}. */
    private static NDArray attendRows(NDArray q, NDArray kt, NDArray vt, NDArray mask, float scaling, DataType type) {
        NDArray scores = q.matMul(kt); // [P, R, S]
        NDArray scores32 = scores.toType(DataType.FLOAT32, false);
        // Reference order: matmul(q, kᵀ) * scaling, then + mask, then softmax(dtype=float32).to(q.dtype).
        scores32.muli(scaling);
        if (mask != null) {
            scores32.addi(mask);
        }
        NDArray probs32 = scores32.softmax(-1);
        closeAll(scores, scores32);
        NDArray probs = probs32.toType(type, false); // [P, R, S]
        NDArray ctx = probs.matMul(vt); // [P, R, D]
        closeAll(probs32, probs);
        return ctx;
    }

    /** The one part, or the parts concatenated along {@code axis} (and then released). */
    private static NDArray joined(NDList parts, int axis) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray whole = NDArrays.concat(parts, axis);
        parts.close();
        return whole;
    }

    private static void closeAll(NDArray a, NDArray b) {
        a.close();
        if (b != a) {
            b.close();
        }
    }
}
