package org.ffafabric.abi;

/** Test helper: hex text such as "01 80 04 00" to bytes, spaces and newlines ignored. */
public final class Hex
{
    private Hex()
    {
    }

    public static byte[] bytes(final String text)
    {
        final String digits = text.replaceAll("\\s+", "");
        if ((digits.length() & 1) != 0)
        {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    public static String text(final byte[] bytes, final int offset, final int length)
    {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            if (i > 0)
            {
                out.append(i % 16 == 0 ? '\n' : ' ');
            }
            out.append(String.format("%02x", bytes[offset + i] & 0xFF));
        }
        return out.toString();
    }
}
