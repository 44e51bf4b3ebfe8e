package org.ffafabric.manifest;

/** A manifest the fabric refuses, with the entry and field at fault in the message. */
public final class ManifestException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** The field at fault, as the manifest file names it, or null. */
    private final String field;
    /** The entry at fault, by position, or -1 when the message names it or it is the manifest's. */
    private final int partition;

    public ManifestException(final String message)
    {
        this(message, null, -1);
    }

    ManifestException(final String message, final String field, final int partition)
    {
        super(message);
        this.field = field;
        this.partition = partition;
    }

    /** The field at fault ("id", "uuid", ...), or null. */
    public String field()
    {
        return field;
    }

    /** The position of the entry at fault in the manifest, or -1. */
    public int partition()
    {
        return partition;
    }

    /** This refusal with where it is in the file appended. */
    ManifestException at(final String location)
    {
        return reworded(getMessage() + location);
    }

    /** This refusal, of the same entry and field, told in other words. */
    ManifestException reworded(final String message)
    {
        return new ManifestException(message, field, partition);
    }

    /** The most of a quoted name or value a message shows. */
    static final int QUOTE_LIMIT = 40;

    /**
     * Text from a manifest as a message quotes it, between single quotes: control characters escaped
     * (a message is one line) and at most {@link #QUOTE_LIMIT} characters shown.
     */
    static String quote(final String text)
    {
        final int end = Math.min(text.length(), QUOTE_LIMIT);
        final StringBuilder out = escape(new StringBuilder(end + 8).append('\''), text, end).append('\'');
        if (text.length() > end)
        {
            out.append("... (").append(text.length()).append(" characters)");
        }
        return out.toString();
    }

    /** Text with its control characters escaped, all of it: a message is one printable line. */
    static String printable(final String text)
    {
        return escape(new StringBuilder(text.length()), text, text.length()).toString();
    }

    private static StringBuilder escape(final StringBuilder out, final String text, final int end)
    {
        for (int i = 0; i < end; i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20 || (c >= 0x7F && c < 0xA0) || c == '\u2028' || c == '\u2029')
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
            }
        }
        return out;
    }
}
