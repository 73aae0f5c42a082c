"""Nationalities of the demo roster: name lists per naming culture and languages per state.

Small lists on purpose: enough for names to look real and vary, not a census.
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Culture:
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    mother_tongue: str | None = None
    family_first: bool = False
    feminine_surname: bool = False
    second_languages: tuple[tuple[str, float], ...] = (("en", 0.6),)


@dataclass(frozen=True)
class Nationality:
    iso3: str
    iso2: str
    culture: str
    native: tuple[str, ...]
    weight: int


def _t(words: str) -> tuple[str, ...]:
    return tuple(w.replace("_", " ") for w in words.split())


_WEST_AFRICA_FR = Culture(
    _t("Aminata Fatou Awa Mariama Aïssatou Adjoa Estelle Clarisse Rokia Ndèye Kadiatou"),
    _t("Moussa Mamadou Ibrahima Cheikh Ousmane Abdoulaye Koffi Yao Serge Didier Boubacar Souleymane"),
    _t("Diallo Ndiaye Traoré Koné Sow Ouédraogo Kaboré Diop Camara Coulibaly Kouassi Bamba Sylla Touré Fall Mbaye"),
    mother_tongue="fr",
    second_languages=(("en", 0.5), ("ar", 0.05)),
)
_ARAB = Culture(
    _t("Fatima Amira Layla Nour Salma Rania Hala Yasmine Mariam Samira"),
    _t("Ahmed Mohamed Omar Youssef Khaled Karim Tarek Hassan Ali Mahmoud"),
    _t("El-Sayed Haddad Mansour Khalil Nasser Abdallah Hamdi Saleh Al-Masri Aziz"),
    mother_tongue="ar",
    second_languages=(("en", 0.7), ("fr", 0.1)),
)
_ENGLISH_AFRICA = Culture((), (), (), mother_tongue="en", second_languages=(("fr", 0.2),))
_ASIA = Culture((), (), (), second_languages=(("fr", 0.06), ("ar", 0.04)))

CULTURES: dict[str, Culture] = {
    "west_africa_fr": _WEST_AFRICA_FR,
    "congolese": replace(
        _WEST_AFRICA_FR,
        female=_t("Grâce Divine Chantal Solange Mireille Esther Nadège Béatrice"),
        male=_t("Jean-Pierre Patrice Fiston Dieudonné Blaise Hervé Gaston Prosper"),
        surnames=_t("Mukendi Ilunga Kasongo Mbuyi Lukusa Ngoy Tshibangu Makiese Mabiala Yakete"),
    ),
    "great_lakes": replace(
        _WEST_AFRICA_FR,
        female=_t("Claudine Josiane Aline Clarisse Diane Alice Jeanne"),
        male=_t("Jean-Claude Emmanuel Innocent Eric Pacifique Didier Olivier"),
        surnames=_t("Nzeyimana Ndayishimiye Habimana Mugisha Niyonzima Uwimana Bizimana Hakizimana Nshimiyimana"),
    ),
    "central_africa": replace(
        _WEST_AFRICA_FR,
        female=_t("Brigitte Mireille Achta Hawa Germaine Sandrine Halimé"),
        male=_t("Paul Mahamat Hissein Roger Alain Blaise Martin Ahmat"),
        surnames=_t("Essomba Ngono Mbarga Atangana Mahamat Abakar Nguema Ondo Fouda"),
    ),
    "ghanaian": replace(
        _ENGLISH_AFRICA,
        female=_t("Ama Akosua Abena Efua Esi Adwoa Yaa Akua"),
        male=_t("Kwame Kofi Kwabena Kwaku Yaw Kojo Kwesi Emmanuel"),
        surnames=_t("Mensah Owusu Boateng Asante Darko Appiah Osei Agyeman Ansah Quaye"),
    ),
    "nigerian": replace(
        _ENGLISH_AFRICA,
        female=_t("Chiamaka Ngozi Folake Adaeze Yetunde Aisha Funmilayo Hauwa"),
        male=_t("Chinedu Emeka Oluwaseun Tunde Ibrahim Musa Chukwuma Babatunde"),
        surnames=_t("Okafor Adeyemi Okonkwo Nwosu Bello Abubakar Adebayo Eze Ogunleye Danjuma"),
    ),
    "upper_guinea": replace(
        _ENGLISH_AFRICA,
        female=_t("Fatmata Isatu Mariama Hawa Musu Kadiatu Binta"),
        male=_t("Mohamed Abu Alhaji Joseph Lamin Momodou Samuel"),
        surnames=_t("Kamara Koroma Sesay Conteh Bangura Jalloh Johnson Ceesay Jallow"),
    ),
    "east_africa": replace(
        _ENGLISH_AFRICA,
        female=_t("Wanjiru Achieng Nakato Amani Zawadi Grace Mercy Faith Neema"),
        male=_t("Otieno Mwangi Baraka Juma Emmanuel Daniel Joseph Kipchoge"),
        surnames=_t("Odhiambo Kamau Mutua Wanjala Okello Mbwana Ssempala Mushi Kiprotich Nyerere"),
        second_languages=(("fr", 0.1), ("ar", 0.03)),
    ),
    "ethiopian": replace(
        _ENGLISH_AFRICA,
        female=_t("Aster Tigist Hiwot Selam Meron Bethlehem"),
        male=_t("Abebe Tesfaye Dawit Getachew Solomon Yohannes"),
        surnames=_t("Kebede Haile Tadesse Bekele Alemu Girma Mengistu Worku"),
        second_languages=(("ar", 0.05), ("fr", 0.05)),
    ),
    "southern_africa": replace(
        _ENGLISH_AFRICA,
        female=_t("Thandiwe Nomvula Lerato Palesa Naledi Chipo Refilwe Anke Tshepiso Chisomo"),
        male=_t("Sipho Thabo Bongani Tatenda Johan Pieter Kagiso Lwazi Tendai Mphatso"),
        surnames=_t(
            "Dlamini Nkosi Ndlovu Mokoena Molefe van_der_Merwe Botha Moyo Sibanda Shikongo Banda Phiri Mwale Chanda"
        ),
        second_languages=(("fr", 0.08), ("pt", 0.08)),
    ),
    "mashreq": _ARAB,
    "maghreb": replace(
        _ARAB,
        female=_t("Fatima Amina Khadija Meriem Salma Nadia Leila Samira"),
        male=_t("Mohamed Youssef Karim Mehdi Rachid Hichem Said Abdelkader"),
        surnames=_t("Benali Bennani Belkacem Trabelsi El_Amrani Bouazizi Chaoui Haddad Ould_Ahmed"),
        second_languages=(("en", 0.55), ("es", 0.05)),
    ),
    "indian": replace(
        _ASIA,
        female=_t("Priya Anjali Sunita Kavya Meera Deepa Neha"),
        male=_t("Rajesh Arjun Vikram Rahul Sanjay Suresh Manoj Anil"),
        surnames=_t("Sharma Singh Patel Reddy Iyer Nair Gupta Rao Menon Chauhan"),
    ),
    "pakistani": replace(
        _ASIA,
        female=_t("Ayesha Sana Fatima Hina Maryam Saima"),
        male=_t("Imran Asif Tariq Bilal Usman Faisal Kamran"),
        surnames=_t("Khan Hussain Qureshi Malik Butt Chaudhry Shah Iqbal"),
        second_languages=(("ar", 0.1), ("fr", 0.03)),
    ),
    "bangladeshi": replace(
        _ASIA,
        female=_t("Farzana Nasrin Sabina Shirin Rumana Tahmina"),
        male=_t("Kamal Rafiq Mahmud Shahidul Anisur Mizanur"),
        surnames=_t("Rahman Ahmed Chowdhury Islam Hossain Uddin Haque Sarkar"),
    ),
    "nepali": replace(
        _ASIA,
        female=_t("Sita Sabina Sunita Anita Gita Kamala"),
        male=_t("Bishnu Ramesh Krishna Prakash Dipendra Hari"),
        surnames=_t("Thapa Gurung Shrestha Tamang Rai Karki Magar Adhikari"),
    ),
    "sri_lankan": replace(
        _ASIA,
        female=_t("Nadeesha Dilani Chamari Sanduni Kumari"),
        male=_t("Chaminda Nuwan Ruwan Pradeep Lasantha"),
        surnames=_t("Perera Fernando Silva Jayasuriya Wickramasinghe Bandara"),
    ),
    "malay": replace(
        _ASIA,
        female=_t("Siti Dewi Putri Nurul Aisyah Rina Sri"),
        male=_t("Budi Agus Ahmad Hafiz Rizal Hendra Iwan Azman"),
        surnames=_t("Santoso Wijaya Hidayat Abdullah Ismail Setiawan Rahman Hassan"),
    ),
    "filipino": replace(
        _ASIA,
        female=_t("Maria Cristina Rowena Jocelyn Marites"),
        male=_t("Jose Juan Ramon Rodrigo Ernesto"),
        surnames=_t("Santos Reyes Cruz Bautista Garcia Mendoza Villanueva"),
        second_languages=(("es", 0.05),),
    ),
    "thai": replace(
        _ASIA,
        female=_t("Ratana Kanya Siriporn Malee Nittaya"),
        male=_t("Somchai Anan Prasert Wichai Surachai"),
        surnames=_t("Srisuk Wongsakul Saetang Chaiyaporn Boonmee Thongchai"),
    ),
    "vietnamese": replace(
        _ASIA,
        female=_t("Lan Mai Huong Thu Linh"),
        male=_t("Minh Tuan Hung Duc Quang"),
        surnames=_t("Nguyen Tran Le Pham Hoang Vu"),
        family_first=True,
        second_languages=(("fr", 0.08), ("ru", 0.05)),
    ),
    "khmer": replace(
        _ASIA,
        female=_t("Sophea Chanthy Sreymom Bopha"),
        male=_t("Sokha Vannak Dara Sothea"),
        surnames=_t("Sok Chea Keo Chan Heng Ly"),
        family_first=True,
        second_languages=(("en", 0.5),),
    ),
    "chinese": Culture(
        _t("Na Mei Fang Jing Yan Xiu Ying"),
        _t("Wei Jun Hao Lei Qiang Ming Tao"),
        _t("Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu"),
        family_first=True,
        second_languages=(("en", 0.7), ("fr", 0.1)),
    ),
    "japanese": Culture(
        _t("Yuki Sakura Aiko Haruka Emi Naoko"),
        _t("Hiroshi Takeshi Kenji Daisuke Satoshi Kazuo"),
        _t("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura"),
        second_languages=(("en", 0.8), ("fr", 0.1)),
    ),
    "korean": Culture(
        _t("Ji-woo Min-ji Seo-yeon Ha-eun Soo-jin"),
        _t("Min-jun Ji-hoon Seung-ho Dong-hyun Jae-won"),
        _t("Kim Lee Park Choi Jung Kang Cho Yoon"),
        family_first=True,
        second_languages=(("en", 0.8),),
    ),
    "hispanic": Culture(
        _t("María Ana Lucía Carmen Valentina Camila Gabriela Paula Sofía Isabel"),
        _t("Juan Carlos José Luis Diego Andrés Javier Miguel Alejandro Fernando"),
        _t(
            "García Rodríguez Martínez López González Fernández Pérez Sánchez Romero Torres Díaz Álvarez Herrera "
            "Castillo"
        ),
        mother_tongue="es",
        second_languages=(("en", 0.6), ("fr", 0.12), ("pt", 0.1)),
    ),
    "lusophone": Culture(
        _t("Ana Mariana Beatriz Juliana Fernanda Inês Luísa Joana"),
        _t("João Pedro Rafael Lucas Tiago Miguel António Paulo Bruno"),
        _t("Silva Santos Oliveira Souza Pereira Costa Ferreira Almeida Rodrigues Carvalho Gomes Machava Nhantumbo"),
        mother_tongue="pt",
        second_languages=(("en", 0.6), ("es", 0.3), ("fr", 0.15)),
    ),
    "french": Culture(
        _t("Claire Sophie Camille Isabelle Nathalie Élodie Marie Céline"),
        _t("Jean Pierre Nicolas François Olivier Julien Thomas Philippe Laurent"),
        _t("Martin Bernard Dubois Moreau Lefebvre Girard Fontaine Mercier Dupont Lambert Rousseau Janssens"),
        mother_tongue="fr",
        second_languages=(("en", 0.85), ("es", 0.15), ("ar", 0.05)),
    ),
    "anglo": Culture(
        _t("Sarah Emma Catherine Rachel Laura Hannah Jennifer Fiona Megan"),
        _t("James David Michael Andrew Thomas Daniel Matthew Robert Patrick"),
        _t("Smith Jones Williams Brown Taylor Wilson Campbell Murphy O'Brien Walker Robinson Clarke Hughes Mitchell"),
        mother_tongue="en",
        second_languages=(("fr", 0.3), ("es", 0.15), ("ar", 0.05), ("ru", 0.03)),
    ),
    "german": Culture(
        _t("Anna Katrin Julia Eva Miriam Sabine Lena"),
        _t("Stefan Markus Lukas Tobias Klaus Florian Andreas"),
        _t("Müller Schmidt Schneider Fischer Weber Becker Huber Wagner Hofmann"),
        second_languages=(("en", 0.9), ("fr", 0.3), ("es", 0.1)),
    ),
    "dutch": Culture(
        _t("Sanne Lotte Anouk Femke Eva Marloes"),
        _t("Jan Pieter Daan Bram Joost Maarten"),
        _t("de_Vries Jansen van_Dijk Bakker Visser de_Jong Smit Mulder"),
        second_languages=(("en", 0.95), ("fr", 0.3), ("es", 0.1)),
    ),
    "scandinavian": Culture(
        _t("Ingrid Kari Astrid Maja Sigrid Elin Karin"),
        _t("Lars Erik Anders Johan Henrik Ole Magnus"),
        _t("Hansen Johansson Andersson Nielsen Larsen Berg Lindqvist Olsen Eriksson"),
        second_languages=(("en", 0.95), ("fr", 0.2)),
    ),
    "finnish": Culture(
        _t("Liisa Aino Sanna Johanna Kaisa"),
        _t("Jukka Mikko Antti Timo Ville"),
        _t("Virtanen Korhonen Mäkinen Nieminen Heikkinen Laine"),
        second_languages=(("en", 0.95), ("ru", 0.05), ("fr", 0.1)),
    ),
    "russian": Culture(
        _t("Anna Elena Olga Natalia Irina Tatiana Ekaterina Svetlana"),
        _t("Sergei Alexei Dmitri Andrei Ivan Mikhail Nikolai Pavel"),
        _t("Ivanov Petrov Smirnov Kuznetsov Popov Volkov Sokolov Morozov"),
        mother_tongue="ru",
        feminine_surname=True,
        second_languages=(("en", 0.5), ("fr", 0.1)),
    ),
    "ukrainian": Culture(
        _t("Oksana Olena Iryna Yulia Nataliia"),
        _t("Oleksandr Andrii Taras Serhii Volodymyr"),
        _t("Kovalenko Shevchenko Bondarenko Tkachenko Melnyk Kravchenko"),
        second_languages=(("en", 0.6), ("fr", 0.05)),
    ),
    "kazakh": Culture(
        _t("Aigerim Dana Aliya Gulnara Saule"),
        _t("Nursultan Yerlan Daulet Askar Bolat"),
        _t("Nurlanov Akhmetov Seitkali Zhakupov Omarov Bekov"),
        feminine_surname=True,
        second_languages=(("en", 0.5),),
    ),
    "polish": Culture(
        _t("Katarzyna Agnieszka Magdalena Joanna Monika"),
        _t("Piotr Tomasz Krzysztof Marcin Paweł"),
        _t("Nowak Wiśniewski Kowalczyk Zieliński Szymański Wójcik Lewandowski"),
        feminine_surname=True,
        second_languages=(("en", 0.8), ("ru", 0.2), ("fr", 0.1)),
    ),
    "turkish": Culture(
        _t("Ayşe Elif Zeynep Fatma Emine"),
        _t("Mehmet Mustafa Emre Ahmet Murat"),
        _t("Yılmaz Kaya Demir Çelik Şahin Aydın Öztürk"),
        second_languages=(("en", 0.7), ("fr", 0.1)),
    ),
}

# iso3 iso2 culture native-languages weight (weight: how often the state contributes experts)
_NATIONALITIES = """
SEN SN west_africa_fr fr 6
CIV CI west_africa_fr fr 3
BEN BJ west_africa_fr fr 3
BFA BF west_africa_fr fr 3
TGO TG west_africa_fr fr 4
NER NE west_africa_fr fr 3
GIN GN west_africa_fr fr 2
MLI ML west_africa_fr fr 1
CMR CM central_africa fr,en 4
TCD TD central_africa fr,ar 3
GAB GA central_africa fr 1
COG CG congolese fr 1
COD CD congolese fr 2
CAF CF central_africa fr 1
BDI BI great_lakes fr 2
RWA RW great_lakes en,fr 7
GHA GH ghanaian en 8
NGA NG nigerian en 6
SLE SL upper_guinea en 3
LBR LR upper_guinea en 1
GMB GM upper_guinea en 1
KEN KE east_africa en 6
UGA UG east_africa en 3
TZA TZ east_africa en 5
ETH ET ethiopian en 6
MWI MW southern_africa en 2
ZMB ZM southern_africa en 3
ZAF ZA southern_africa en 5
ZWE ZW southern_africa en 2
NAM NA southern_africa en 2
BWA BW southern_africa en 1
EGY EG mashreq ar 7
JOR JO mashreq ar 5
MAR MA maghreb ar,fr 4
TUN TN maghreb ar,fr 3
DZA DZ maghreb ar,fr 1
MRT MR maghreb ar,fr 2
QAT QA mashreq ar 1
IND IN indian en 9
PAK PK pakistani en 8
BGD BD bangladeshi en 9
NPL NP nepali en 8
LKA LK sri_lankan en 3
IDN ID malay en 6
MYS MY malay en 4
PHL PH filipino en 3
THA TH thai en 2
VNM VN vietnamese en 2
KHM KH khmer en 2
CHN CN chinese en 5
JPN JP japanese en 2
KOR KR korean en 3
ARG AR hispanic es 3
CHL CL hispanic es 2
URY UY hispanic es 3
PER PE hispanic es 2
GTM GT hispanic es 2
SLV SV hispanic es 1
MEX MX hispanic es 2
COL CO hispanic es 1
ESP ES hispanic es 3
BRA BR lusophone pt 4
PRT PT lusophone pt 3
MOZ MZ lusophone pt 1
AGO AO lusophone pt 1
FRA FR french fr 5
BEL BE french fr,en 3
CAN CA anglo en,fr 5
GBR GB anglo en 6
USA US anglo en 4
AUS AU anglo en 3
NZL NZ anglo en 2
IRL IE anglo en 3
DEU DE german en 4
NLD NL dutch en 5
AUT AT german en 2
CHE CH german fr,en 3
NOR NO scandinavian en 4
SWE SE scandinavian en 4
DNK DK scandinavian en 2
FIN FI finnish en 3
RUS RU russian ru 3
UKR UA ukrainian en 1
BLR BY russian ru 1
KAZ KZ kazakh ru,en 1
POL PL polish en 3
TUR TR turkish en 2
"""


def _parse(table: str) -> tuple[Nationality, ...]:
    rows = []
    for line in table.strip().splitlines():
        iso3, iso2, culture, native, weight = line.split()
        rows.append(Nationality(iso3, iso2, culture, tuple(native.split(",")), int(weight)))
    return tuple(rows)


NATIONALITIES: tuple[Nationality, ...] = _parse(_NATIONALITIES)
