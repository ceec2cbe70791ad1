package pagestream.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Dockerfile instructions, continuation lines joined and comments dropped. */
final class Dockerfiles {

    record Instruction(String keyword, String arguments) {}

    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S*)");

    private Dockerfiles() {}

    static List<Instruction> instructions(String file) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Repo.read(file).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String text = current.toString().strip();
            current.setLength(0);
            if (!text.isEmpty()) {
                int space = text.indexOf(' ');
                instructions.add(new Instruction(text.substring(0, space).toUpperCase(), text.substring(space + 1).strip()));
            }
        }
        return instructions;
    }

    /** The instructions after the last FROM: what the shipped image is made of. */
    static List<Instruction> finalStage(String file) {
        List<Instruction> all = instructions(file);
        int last = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).keyword().equals("FROM")) {
                last = i;
            }
        }
        return all.subList(last, all.size());
    }

    static Map<String, String> finalStageEnv(String file) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Instruction instruction : finalStage(file)) {
            if (instruction.keyword().equals("ENV")) {
                Matcher m = ENV_PAIR.matcher(instruction.arguments());
                while (m.find()) {
                    String value = m.group(2);
                    env.put(m.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
                }
            }
        }
        return env;
    }

    static List<String> arguments(String file, String keyword) {
        return instructions(file).stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    static List<String> finalStageArguments(String file, String keyword) {
        return finalStage(file).stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }
}
