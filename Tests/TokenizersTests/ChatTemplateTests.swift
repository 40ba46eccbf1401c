import Testing
import Tokenizers

@Suite struct ChatTemplateTests {
    /// The default system message is found whether the template's string literal holds a real
    /// line break (GGUF) or the escape (tokenizer_config.json); other families are refused.
    @Test func chatMLWithADefaultSystemMessage() throws {
        let head = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
        let tail = "Be brief.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
        for jinja in [head + tail, (head + tail).replacing("\n", with: "\\n")] {
            let template = try #require(ChatTemplate(jinja: jinja))
            #expect(template.defaultSystem == "Be brief.")
            #expect(template.render([("user", "Hi")]) == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
            #expect(template.render([("system", "S"), ("user", "Hi")], addGenerationPrompt: false) == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
        }
        #expect(ChatTemplate(jinja: "{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}") == nil)
    }
}
