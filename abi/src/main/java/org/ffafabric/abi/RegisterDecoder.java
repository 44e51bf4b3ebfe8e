package org.ffafabric.abi;

/**
 * Renders a register file as one line of text: the function's name, then each non-zero
 * register. Traces and the {@code ffa} tool print calls with it.
 */
public final class RegisterDecoder
{
    private RegisterDecoder()
    {
    }

    public static StringBuilder decode(final RegisterFile registers, final StringBuilder out)
    {
        final int functionId = registers.functionId();
        out.append(FunctionId.describe(functionId));
        if (functionId == FunctionId.FFA_ERROR || functionId == FunctionId.FFA_ERROR_64)
        {
            out.append('(').append(ErrorCode.name(registers.errorCode())).append(')');
        }
        final int last = FunctionId.isSmc64(functionId) ? RegisterFile.REGISTER_COUNT : RegisterFile.SMC32_REGISTER_COUNT;
        for (int n = 1; n < last; n++)
        {
            final long value = registers.x(n);
            if (value != 0)
            {
                out.append(" x").append(n).append("=0x").append(Long.toHexString(value));
            }
        }
        return out;
    }
}
